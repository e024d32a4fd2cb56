// Tests of the authenticated index (auth_index.h): roots against a naive reference written
// from the hashing definition, proofs of presence and absence, tampering, old versions,
// random operation sequences against a std::map model, and persistence in LevelDB.
#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "hearth/base/check.h"
#include "hearth/base/codec.h"
#include "hearth/ledger/auth_index.h"
#include "temp_dir.h"

using namespace hearth;

namespace {

using TempDir = testing::TempDir;

using Model = std::map<Hash32, std::vector<Hash32>>;  // key -> ids in log order

Hash32 RandomHash(std::mt19937_64& rng) {
  Hash32 h;
  for (auto& b : h.bytes) b = static_cast<uint8_t>(rng());
  return h;
}

Hash32 FlipBit(Hash32 h, size_t bit) {
  h.bytes[bit / 8] = static_cast<uint8_t>(h.bytes[bit / 8] ^ (0x80 >> (bit % 8)));
  return h;
}

// The reference: S(p) exactly as auth_index.h defines it, with the bytes spelled out.
Hash32 RefLeaf(Suite suite, const Hash32& key, const std::vector<Hash32>& ids) {
  Hash32 head;
  for (const Hash32& id : ids) head = SuiteHashParts(suite, {head.view(), id.view()});
  Bytes b{0x02};
  b.insert(b.end(), key.bytes.begin(), key.bytes.end());
  for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(ids.size() >> (8 * i)));
  b.insert(b.end(), head.bytes.begin(), head.bytes.end());
  return SuiteHash(suite, b);
}

Hash32 RefSubtree(Suite suite, const std::vector<std::pair<Hash32, std::vector<Hash32>>>& e,
                  size_t lo, size_t hi, size_t depth) {
  if (lo == hi) return Hash32();
  if (hi - lo == 1) return RefLeaf(suite, e[lo].first, e[lo].second);
  size_t mid = lo;
  while (mid < hi && IndexKeyBit(e[mid].first, depth) == 0) ++mid;
  const Hash32 l = RefSubtree(suite, e, lo, mid, depth + 1);
  const Hash32 r = RefSubtree(suite, e, mid, hi, depth + 1);
  Bytes b{0x03};
  b.insert(b.end(), l.bytes.begin(), l.bytes.end());
  b.insert(b.end(), r.bytes.begin(), r.bytes.end());
  return SuiteHash(suite, b);
}

Hash32 RefRoot(Suite suite, const Model& m) {
  std::vector<std::pair<Hash32, std::vector<Hash32>>> e(m.begin(), m.end());
  return RefSubtree(suite, e, 0, e.size(), 0);
}

// Applies, flushes into the MemKv the index reads, and marks flushed.
Hash32 Commit(AuthIndex& idx, MemKv& kv, uint64_t version, const std::vector<IndexUpdate>& u) {
  Result<Hash32> root = idx.ApplyBlock(version, u);
  REQUIRE(root.ok());
  REQUIRE(idx.FlushTo(&kv).ok());
  idx.MarkFlushed();
  return *root;
}

// Checks value, proof and list of `key` at `version` against the model's ids.
void CheckKey(const AuthIndex& idx, uint64_t version, const Hash32& key,
              const std::vector<Hash32>& ids) {
  const Suite suite = idx.suite();
  Result<Hash32> root = idx.RootAt(version);
  REQUIRE(root.ok());
  Result<IndexLookup> got = idx.Prove(key, version);
  REQUIRE(got.ok());
  REQUIRE(got->value == IndexValueOf(suite, ids));
  CHECK(VerifyIndexEntry(suite, *root, key, ids, got->proof).ok());
  Result<IndexProof> decoded = IndexProof::Decode(got->proof.Encode());
  REQUIRE(decoded.ok());
  CHECK(*decoded == got->proof);
  if (!ids.empty()) {
    Result<std::vector<Hash32>> list = idx.List(key, ids.size());
    REQUIRE(list.ok());
    CHECK(*list == ids);
    CHECK(got->proof.terminal == IndexProof::Terminal::kPresent);
  } else {
    CHECK(got->proof.terminal != IndexProof::Terminal::kPresent);
  }
}

struct Fixture {
  explicit Fixture(Suite suite) : idx(suite, &kv, "x/") { REQUIRE(idx.Open().ok()); }
  MemKv kv;
  AuthIndex idx;
};

std::unique_ptr<leveldb::DB> OpenDb(const std::string& path) {
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* db = nullptr;
  REQUIRE(leveldb::DB::Open(options, path, &db).ok());
  return std::unique_ptr<leveldb::DB>(db);
}

void CommitDb(AuthIndex& idx, leveldb::DB* db, uint64_t version,
              const std::vector<IndexUpdate>& u) {
  REQUIRE(idx.ApplyBlock(version, u).ok());
  leveldb::WriteBatch batch;
  LevelDbBatchWriter w(&batch);
  REQUIRE(idx.FlushTo(&w).ok());
  leveldb::WriteOptions wo;
  wo.sync = true;
  REQUIRE(db->Write(wo, &batch).ok());
  idx.MarkFlushed();
}

}  // namespace

TEST_CASE("index hashing follows the written definition") {
  const Suite suite = GENERATE(Suite::kEd25519Sha256, Suite::kSm2Sm3);
  Fixture f(suite);
  CHECK(f.idx.Root().IsZero());
  CHECK(!f.idx.last_version());
  Hash32 a, b, id1, id2;
  b.bytes[0] = 0x80;  // differs from a in bit 0
  id1.bytes.fill(0x11);
  id2.bytes.fill(0x22);
  // The chain: v1 = H(0^32 ‖ id1), v2 = H(v1 ‖ id2), no tag.
  const Hash32 v1 = SuiteHashParts(suite, {Hash32().view(), id1.view()});
  CHECK(IndexChainStep(suite, Hash32(), id1) == v1);
  CHECK(IndexValueOf(suite, std::vector{id1, id2})->head ==
        SuiteHashParts(suite, {v1.view(), id2.view()}));
  CHECK(!IndexValueOf(suite, {}));

  Model m;
  m[a] = {id1};
  CHECK(Commit(f.idx, f.kv, 7, {{a, id1}}) == RefLeaf(suite, a, {id1}));  // one key: its leaf
  m[b] = {id2};
  m[a].push_back(id1);
  CHECK(Commit(f.idx, f.kv, 8, {{b, id2}, {a, id1}}) == RefRoot(suite, m));
  CHECK(Commit(f.idx, f.kv, 9, {}) == RefRoot(suite, m));  // empty block: same root
  CHECK(*f.idx.RootAt(7) == RefLeaf(suite, a, {id1}));
  CHECK(f.idx.RootAt(6).status().code() == Code::kNotFound);
  CHECK(f.idx.RootAt(10).status().code() == Code::kNotFound);
  CHECK(f.idx.ApplyBlock(11, {}).status().code() == Code::kFailedPrecondition);
  CHECK(f.idx.ApplyBlock(9, {}).status().code() == Code::kFailedPrecondition);
}

TEST_CASE("index FORMAT.md example") {
  // docs/FORMAT.md §11.5 shows these values (generated by format_doc_test).
  Fixture f(Suite::kEd25519Sha256);
  Hash32 k1, k2, id;
  k2.bytes[0] = 0x80;
  id.bytes.fill(0x11);
  Commit(f.idx, f.kv, 0, {{k1, id}, {k2, id}, {k1, id}});
  const Hash32 root = f.idx.Root();
  const IndexValue v1 = **f.idx.Get(k1);
  CHECK(v1.count == 2);
  // Cross-checked with Python hashlib from the definition alone.
  CHECK(v1.head.Hex() == "dfb05b0f8ef7f253a3e2da3d8b2d14ffd928bba31f912ce36d3a929dc8b86d14");
  CHECK(root.Hex() == "f4644431b5fe26b0b969eb2bfa63e2ed63d5f76d2649b0ad09b475cbae0850e2");
  Result<IndexLookup> p = f.idx.Prove(k1, 0);
  REQUIRE(p.ok());
  CHECK(ToHex(p->proof.Encode()) ==
        "0100" "01000000" "565f680f7d793b626476e4fc62665e39393d458e4e56e47030ec9fbb001d1f8e");
  Hash32 absent;
  absent.bytes[0] = 0x40;
  Result<IndexLookup> q = f.idx.Prove(absent, 0);
  REQUIRE(q.ok());
  CHECK(ToHex(q->proof.Encode()) ==
        "0102" "0000000000000000000000000000000000000000000000000000000000000000"
        "0200000000000000" "dfb05b0f8ef7f253a3e2da3d8b2d14ffd928bba31f912ce36d3a929dc8b86d14"
        "01000000" "565f680f7d793b626476e4fc62665e39393d458e4e56e47030ec9fbb001d1f8e");
}

TEST_CASE("index proofs of presence and absence at many sizes") {
  const Suite suite = GENERATE(Suite::kEd25519Sha256, Suite::kSm2Sm3);
  const size_t n = GENERATE(0, 1, 2, 3, 10, 1000, 10000);
  if (n > 1000 && suite != Suite::kEd25519Sha256) return;  // hashing is not size-dependent
  const uint64_t seed = 0x1dec5 + n;
  INFO("seed " << seed << " n " << n << " suite " << SuiteName(suite));
  std::mt19937_64 rng(seed);
  Fixture f(suite);
  Model m;
  std::vector<IndexUpdate> block;
  std::vector<Hash32> twins;
  for (size_t i = 0; i < n; ++i) {
    Hash32 key = RandomHash(rng);
    // Every tenth key gets a twin that differs only in the last bit: a 256-deep path.
    if (i % 10 == 3) {
      key = FlipBit(block.back().key, 255);
      twins.push_back(key);
    }
    const Hash32 id = RandomHash(rng);
    block.push_back({key, id});
    m[key].push_back(id);
  }
  const Hash32 root = Commit(f.idx, f.kv, 1, block);
  CHECK(root == RefRoot(suite, m));
  size_t seen = 0;
  for (const auto& [key, ids] : m) {
    if (seen++ % (n / 200 + 1) == 0) CheckKey(f.idx, 1, key, ids);  // at most ~200 keys
  }
  // Absent keys: random ones, and neighbours of present keys at the last and middle bits.
  std::vector<Hash32> absent;
  for (size_t i = 0; i < 50; ++i) absent.push_back(RandomHash(rng));
  for (const auto& [key, ids] : m) {
    if (absent.size() > 200) break;
    absent.push_back(FlipBit(key, 255));
    absent.push_back(FlipBit(key, 254));
    absent.push_back(FlipBit(key, 128));
  }
  size_t checked = 0;
  for (const Hash32& key : absent) {
    if (m.count(key)) continue;
    CheckKey(f.idx, 1, key, {});
    ++checked;
  }
  CHECK(checked > 0);
  if (n >= 10) {
    // The twins make presence proofs of the full depth and absence proofs deep too.
    for (size_t t = 0; t < twins.size() && t < 50; ++t) {
      CheckKey(f.idx, 1, twins[t], m.at(twins[t]));
      CHECK(f.idx.Prove(twins[t], 1)->proof.siblings.size() == kIndexProofSiblingsMax);
    }
  }
}

TEST_CASE("index proof for an old root still verifies after later updates") {
  const Suite suite = GENERATE(Suite::kEd25519Sha256, Suite::kSm2Sm3);
  const uint64_t seed = 0x01d2007;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  Fixture f(suite);
  std::vector<Hash32> keys;
  for (int i = 0; i < 40; ++i) keys.push_back(RandomHash(rng));
  std::vector<Model> models;
  std::vector<std::vector<Bytes>> proofs;  // [version][key]
  Model m;
  for (uint64_t v = 0; v < 12; ++v) {
    std::vector<IndexUpdate> block;
    for (int i = 0; i < 15; ++i) {
      // Early blocks use few keys, so later blocks both update and insert.
      const IndexUpdate u{keys[rng() % std::min<size_t>(keys.size(), v * 3 + 2)],
                          RandomHash(rng)};
      block.push_back(u);
      m[u.key].push_back(u.tx_id);
    }
    Commit(f.idx, f.kv, v, block);
    models.push_back(m);
    proofs.emplace_back();
    for (const Hash32& k : keys) proofs.back().push_back(f.idx.Prove(k, v)->proof.Encode());
  }
  for (uint64_t v = 0; v < models.size(); ++v) {
    const Hash32 old_root = *f.idx.RootAt(v);
    CHECK(old_root == RefRoot(suite, models[v]));
    for (size_t i = 0; i < keys.size(); ++i) {
      auto it = models[v].find(keys[i]);
      const std::vector<Hash32> ids = it == models[v].end() ? std::vector<Hash32>{} : it->second;
      CheckKey(f.idx, v, keys[i], ids);
      // The proof made back then is the proof made now, and verifies against the old root.
      CHECK(f.idx.Prove(keys[i], v)->proof.Encode() == proofs[v][i]);
      const IndexProof old_proof = *IndexProof::Decode(proofs[v][i]);
      CHECK(VerifyIndexEntry(suite, old_root, keys[i], ids, old_proof).ok());
      if (!ids.empty() && models.back()[keys[i]] != ids) {
        CHECK(!VerifyIndexEntry(suite, f.idx.Root(), keys[i], ids, old_proof).ok());
      }
    }
  }
}

TEST_CASE("index rejects every tampered proof element and list entry") {
  const Suite suite = GENERATE(Suite::kEd25519Sha256, Suite::kSm2Sm3);
  const uint64_t seed = 0x7a3be2;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  Fixture f(suite);
  Model m;
  std::vector<IndexUpdate> block;
  for (int i = 0; i < 300; ++i) {
    const Hash32 key = RandomHash(rng);
    for (int j = 0; j < 3; ++j) block.push_back({key, RandomHash(rng)});
    for (int j = 0; j < 3; ++j) m[key].push_back(block[block.size() - 3 + j].tx_id);
  }
  const Hash32 root = Commit(f.idx, f.kv, 1, block);
  const Hash32 key = m.begin()->first;
  const std::vector<Hash32> ids = m.begin()->second;
  const IndexProof good = f.idx.Prove(key, 1)->proof;
  const IndexValue value = *IndexValueOf(suite, ids);
  REQUIRE(good.siblings.size() >= 5);
  REQUIRE(VerifyIndexProof(suite, root, key, value, good).ok());

  for (size_t i = 0; i < good.siblings.size(); ++i) {
    for (size_t bit : {size_t{0}, size_t{255}}) {
      IndexProof p = good;
      p.siblings[i] = FlipBit(p.siblings[i], bit);
      CHECK(VerifyIndexProof(suite, root, key, value, p).code() == Code::kVerifyFailed);
    }
  }
  IndexProof dropped = good;
  dropped.siblings.pop_back();
  CHECK(!VerifyIndexProof(suite, root, key, value, dropped).ok());
  dropped = good;
  dropped.siblings.erase(dropped.siblings.begin());
  CHECK(!VerifyIndexProof(suite, root, key, value, dropped).ok());
  IndexProof extra = good;
  extra.siblings.push_back(RandomHash(rng));
  CHECK(!VerifyIndexProof(suite, root, key, value, extra).ok());
  CHECK(!VerifyIndexProof(suite, root, FlipBit(key, 255), value, good).ok());
  CHECK(!VerifyIndexProof(suite, root, FlipBit(key, 0), value, good).ok());
  CHECK(!VerifyIndexProof(suite, FlipBit(root, 7), key, value, good).ok());
  CHECK(!VerifyIndexProof(suite, root, key, IndexValue{value.count + 1, value.head}, good).ok());
  CHECK(!VerifyIndexProof(suite, root, key, IndexValue{value.count - 1, value.head}, good).ok());
  CHECK(!VerifyIndexProof(suite, root, key, IndexValue{value.count, FlipBit(value.head, 3)},
                          good).ok());
  const Suite other_suite = suite == Suite::kSm2Sm3 ? Suite::kEd25519Sha256 : Suite::kSm2Sm3;
  CHECK(!VerifyIndexProof(other_suite, root, key, value, good).ok());

  // The list: dropped, extra, reordered or replaced ids never match the proven value.
  CHECK(VerifyIndexEntry(suite, root, key, ids, good).ok());
  CHECK(VerifyIndexList(suite, ids, value).ok());
  std::vector<Hash32> bad = ids;
  bad.pop_back();
  CHECK(!VerifyIndexEntry(suite, root, key, bad, good).ok());
  CHECK(!VerifyIndexList(suite, bad, value).ok());
  bad = ids;
  bad.erase(bad.begin());
  CHECK(!VerifyIndexEntry(suite, root, key, bad, good).ok());
  bad = ids;
  bad.push_back(ids[0]);
  CHECK(!VerifyIndexEntry(suite, root, key, bad, good).ok());
  CHECK(!VerifyIndexList(suite, bad, value).ok());
  bad = ids;
  std::swap(bad[0], bad[1]);
  CHECK(!VerifyIndexEntry(suite, root, key, bad, good).ok());
  CHECK(!VerifyIndexList(suite, bad, value).ok());
  bad = ids;
  bad[1] = FlipBit(bad[1], 100);
  CHECK(!VerifyIndexEntry(suite, root, key, bad, good).ok());
  CHECK(!VerifyIndexEntry(suite, root, key, {}, good).ok());
  CHECK(!VerifyIndexList(suite, {}, value).ok());
  CHECK(!VerifyIndexList(suite, ids, std::nullopt).ok());

  // Absence by another leaf: each field of that leaf matters.
  Hash32 absent;
  IndexProof other;
  for (int tries = 0; tries < 1000; ++tries) {
    absent = RandomHash(rng);
    other = f.idx.Prove(absent, 1)->proof;
    if (other.terminal == IndexProof::Terminal::kOtherLeaf) break;
  }
  REQUIRE(other.terminal == IndexProof::Terminal::kOtherLeaf);
  REQUIRE(VerifyIndexProof(suite, root, absent, std::nullopt, other).ok());
  IndexProof t = other;
  t.other_key = FlipBit(t.other_key, 255);
  CHECK(!VerifyIndexProof(suite, root, absent, std::nullopt, t).ok());
  t = other;
  t.other_key = absent;  // the other leaf may not be the queried key
  CHECK(!VerifyIndexProof(suite, root, absent, std::nullopt, t).ok());
  t = other;
  ++t.other_value.count;
  CHECK(!VerifyIndexProof(suite, root, absent, std::nullopt, t).ok());
  t = other;
  t.other_value.head = FlipBit(t.other_value.head, 9);
  CHECK(!VerifyIndexProof(suite, root, absent, std::nullopt, t).ok());
  t = other;
  t.terminal = IndexProof::Terminal::kEmpty;
  CHECK(!VerifyIndexProof(suite, root, absent, std::nullopt, t).ok());
  for (size_t i = 0; i < other.siblings.size(); ++i) {
    t = other;
    t.siblings[i] = FlipBit(t.siblings[i], 128);
    CHECK(!VerifyIndexProof(suite, root, absent, std::nullopt, t).ok());
  }
}

TEST_CASE("index presence and absence proofs cannot stand in for each other") {
  const Suite suite = GENERATE(Suite::kEd25519Sha256, Suite::kSm2Sm3);
  const uint64_t seed = 0xab5e;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  Fixture f(suite);
  std::vector<IndexUpdate> block;
  for (int i = 0; i < 64; ++i) block.push_back({RandomHash(rng), RandomHash(rng)});
  const Hash32 root = Commit(f.idx, f.kv, 1, block);
  const Hash32 key = block[5].key;
  const IndexValue value = **f.idx.Get(key);
  const IndexProof present = f.idx.Prove(key, 1)->proof;
  // A presence proof claimed as absence, in every terminal form.
  CHECK(!VerifyIndexProof(suite, root, key, std::nullopt, present).ok());
  IndexProof as_other = present;
  as_other.terminal = IndexProof::Terminal::kOtherLeaf;
  as_other.other_key = key;
  as_other.other_value = value;
  CHECK(!VerifyIndexProof(suite, root, key, std::nullopt, as_other).ok());
  // Rewritten as "the other leaf", it is (rightly) an absence proof for a neighbour key that
  // shares the path: the leaf found there belongs to `key`.
  CHECK(VerifyIndexProof(suite, root, FlipBit(key, 255), std::nullopt, as_other).ok());
  // An absence proof claimed as presence, with the other leaf's value or any value.
  const Hash32 absent = FlipBit(key, 255);
  const IndexProof abs = f.idx.Prove(absent, 1)->proof;
  REQUIRE(abs.terminal == IndexProof::Terminal::kOtherLeaf);
  CHECK(VerifyIndexProof(suite, root, absent, std::nullopt, abs).ok());
  CHECK(!VerifyIndexProof(suite, root, absent, value, abs).ok());
  IndexProof as_present = abs;
  as_present.terminal = IndexProof::Terminal::kPresent;
  CHECK(!VerifyIndexProof(suite, root, absent, value, as_present).ok());
  CHECK(!VerifyIndexProof(suite, root, absent, abs.other_value, as_present).ok());
  // An empty-terminal absence proof against the empty map, and not against this one.
  CHECK(VerifyIndexProof(suite, Hash32(), key, std::nullopt, IndexProof{}).ok());
  CHECK(!VerifyIndexProof(suite, root, key, std::nullopt, IndexProof{}).ok());
  // A non-canonical proof: an empty deepest sibling.
  IndexProof padded = present;
  padded.siblings.push_back(Hash32());
  CHECK(!VerifyIndexProof(suite, root, key, value, padded).ok());
}

TEST_CASE("index proof decoding is strict") {
  Fixture f(Suite::kEd25519Sha256);
  std::mt19937_64 rng(5);
  std::vector<IndexUpdate> block;
  for (int i = 0; i < 20; ++i) block.push_back({RandomHash(rng), RandomHash(rng)});
  Commit(f.idx, f.kv, 1, block);
  const Bytes present = f.idx.Prove(block[0].key, 1)->proof.Encode();
  Bytes other;
  for (int i = 0; i < 100 && other.empty(); ++i) {
    IndexProof p = f.idx.Prove(RandomHash(rng), 1)->proof;
    if (p.terminal == IndexProof::Terminal::kOtherLeaf) other = p.Encode();
  }
  REQUIRE(!other.empty());
  for (const Bytes& good : {present, other}) {
    REQUIRE(IndexProof::Decode(good).ok());
    for (size_t len = 0; len < good.size(); ++len) {
      Result<IndexProof> r = IndexProof::Decode(ByteView(good.data(), len));
      CHECK(r.status().code() == Code::kInvalidArgument);
    }
    Bytes trailing = good;
    trailing.push_back(0);
    Result<IndexProof> r = IndexProof::Decode(trailing);
    CHECK(r.status().code() == Code::kInvalidArgument);
    CHECK(r.status().message().find("offset") != std::string::npos);
  }
  Bytes bad_format = present;
  bad_format[0] = 2;
  CHECK(IndexProof::Decode(bad_format).status().message().find("index_proof.format") !=
        std::string::npos);
  Bytes bad_terminal = present;
  bad_terminal[1] = 3;
  CHECK(IndexProof::Decode(bad_terminal).status().message().find("index_proof.terminal") !=
        std::string::npos);
  // 257 siblings: over the limit even when all the bytes are there.
  Writer w;
  w.U8(1);
  w.U8(1);
  w.Count(257);
  for (int i = 0; i < 257; ++i) w.Hash(Hash32());
  Result<IndexProof> over = IndexProof::Decode(w.bytes());
  CHECK(over.status().code() == Code::kInvalidArgument);
  CHECK(over.status().message().find("index_proof.siblings") != std::string::npos);
  // A lying count with no bytes behind it.
  Writer lie;
  lie.U8(1);
  lie.U8(1);
  lie.Count(200);
  CHECK(IndexProof::Decode(lie.bytes()).status().code() == Code::kInvalidArgument);
}

TEST_CASE("index random operations match a std::map model at every version") {
  const Suite suite = GENERATE(Suite::kEd25519Sha256, Suite::kSm2Sm3);
  const uint64_t seed = GENERATE(11, 12, 13);
  // No cache, a tiny one (constant eviction) and the default.
  const size_t cache = seed == 11 ? 0 : seed == 12 ? 8 : AuthIndex::Options().cache_pages_max;
  INFO("seed " << seed << " suite " << SuiteName(suite) << " cache " << cache);
  std::mt19937_64 rng(seed);
  MemKv kv;
  AuthIndex idx(suite, &kv, "ix/", AuthIndex::Options{cache});
  REQUIRE(idx.Open().ok());
  std::vector<Hash32> pool;
  for (int i = 0; i < 100; ++i) pool.push_back(RandomHash(rng));
  for (int i = 0; i < 30; ++i) pool.push_back(FlipBit(pool[i], i % 2 ? 255 : 200));
  const uint64_t first = 1000;
  std::vector<Model> models;  // models[i] is the map at version first + i
  size_t committed = 0;
  size_t ops = 0;
  for (int step = 0; step < 70; ++step) {
    const uint64_t version = first + models.size();
    Model m = models.empty() ? Model{} : models.back();
    std::vector<IndexUpdate> block;
    const size_t len = rng() % 50;
    for (size_t i = 0; i < len; ++i) {
      // Repeat the previous key now and then: several ids of one key in one block.
      const Hash32 key = (!block.empty() && rng() % 4 == 0) ? block.back().key
                                                            : pool[rng() % pool.size()];
      block.push_back({key, RandomHash(rng)});
      m[key].push_back(block.back().tx_id);
    }
    ops += len;
    Result<Hash32> root = idx.ApplyBlock(version, block);
    REQUIRE(root.ok());
    REQUIRE(*root == RefRoot(suite, m));
    models.push_back(m);
    for (int i = 0; i < 5; ++i) {  // reads see staged state
      const Hash32& key = pool[rng() % pool.size()];
      CheckKey(idx, version, key, m.count(key) ? m.at(key) : std::vector<Hash32>{});
    }
    const uint64_t action = rng() % 10;
    if (action == 0) {  // the batch is lost: back to the committed state
      idx.DiscardStaged();
      models.resize(committed);
      REQUIRE(idx.last_version() == (committed ? std::optional(first + committed - 1)
                                               : std::nullopt));
      REQUIRE(idx.Root() == (committed ? RefRoot(suite, models.back()) : Hash32()));
    } else if (action != 1) {  // action 1 leaves the block staged under the next one
      REQUIRE(idx.FlushTo(&kv).ok());
      idx.MarkFlushed();
      committed = models.size();
    }
  }
  REQUIRE(idx.FlushTo(&kv).ok());
  idx.MarkFlushed();
  CHECK(ops > 1000);
  REQUIRE(models.size() > 40);
  AuthIndex reopened(suite, &kv, "ix/", AuthIndex::Options{cache});
  REQUIRE(reopened.Open().ok());
  CHECK(reopened.last_version() == first + models.size() - 1);
  for (size_t i = 0; i < models.size(); ++i) {
    CHECK(*reopened.RootAt(first + i) == RefRoot(suite, models[i]));
    // Every key at every eighth and the last version; a sample at the others.
    const size_t stride = (i % 8 == 0 || i + 1 == models.size()) ? 1 : 13;
    for (size_t k = i % stride; k < pool.size(); k += stride) {
      const Hash32& key = pool[k];
      const auto it = models[i].find(key);
      CheckKey(reopened, first + i, key, it == models[i].end() ? std::vector<Hash32>{}
                                                              : it->second);
    }
  }
}

TEST_CASE("index applies a block touching each changed path once") {
  const uint64_t seed = 0xba7c;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::vector<IndexUpdate> base;
  for (int i = 0; i < 1000; ++i) base.push_back({RandomHash(rng), RandomHash(rng)});
  Fixture once(Suite::kEd25519Sha256);
  Commit(once.idx, once.kv, 0, base);
  // 1000 random keys: 1000 leaves and fewer than 2000 internal nodes, each hashed once,
  // in pages of four levels (1 + 16 + 256 + a few hundred below).
  CHECK(once.idx.stats().nodes_hashed < 3000);
  CHECK(once.idx.stats().nodes_hashed >= 1999);
  CHECK(once.idx.stats().pages_written < 1000);
  CHECK(once.idx.stats().pages_written > 273);
  Fixture five(Suite::kEd25519Sha256);
  Commit(five.idx, five.kv, 0, base);
  const IndexStats before = once.idx.stats();
  const Hash32 key = base[17].key;
  Commit(once.idx, once.kv, 1, {{key, base[0].tx_id}});
  std::vector<IndexUpdate> repeated(5, IndexUpdate{key, base[0].tx_id});
  for (size_t i = 1; i < 5; ++i) repeated[i].tx_id = base[i].tx_id;
  Commit(five.idx, five.kv, 1, repeated);
  // One key's path, however many ids it gets in the block: the same pages and hashes.
  CHECK(once.idx.stats().pages_written - before.pages_written ==
        five.idx.stats().pages_written - before.pages_written);
  CHECK(once.idx.stats().nodes_hashed - before.nodes_hashed ==
        five.idx.stats().nodes_hashed - before.nodes_hashed);
  CHECK(once.idx.stats().pages_written - before.pages_written <= 4);  // depth ~10: 3 pages
  CHECK((*five.idx.Get(key))->count == 6);
  const std::vector<Hash32> list = *five.idx.List(key, 6);
  CHECK(list == std::vector<Hash32>{base[17].tx_id, base[0].tx_id, base[1].tx_id,
                                    base[2].tx_id, base[3].tx_id, base[4].tx_id});
  CHECK(five.idx.List(key, 7).status().code() == Code::kOutOfRange);
  CHECK(five.idx.List(key, kIndexListIdsMax + 1).status().code() == Code::kInvalidArgument);
  // The root depends on the map only, not on how updates were grouped into blocks.
  Fixture single(Suite::kEd25519Sha256);
  for (size_t i = 0; i < 200; ++i) Commit(single.idx, single.kv, i, {base[i]});
  Fixture batch(Suite::kEd25519Sha256);
  Commit(batch.idx, batch.kv, 0, std::vector<IndexUpdate>(base.begin(), base.begin() + 200));
  CHECK(single.idx.Root() == batch.idx.Root());
}

TEST_CASE("index counts page reads and cache hits by page level") {
  const uint64_t seed = 0x1e7e1;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::vector<IndexUpdate> base;
  for (int i = 0; i < 1000; ++i) base.push_back({RandomHash(rng), RandomHash(rng)});
  Fixture writer(Suite::kEd25519Sha256);
  Commit(writer.idx, writer.kv, 0, base);
  // A second index over the same storage starts with a cold cache.
  AuthIndex reader(Suite::kEd25519Sha256, &writer.kv, "x/");
  REQUIRE(reader.Open().ok());
  const IndexStats before = reader.stats();
  Hash32 root;
  Result<IndexLookup> first = reader.ProveCommitted(base[3].key, 0, &root);
  REQUIRE(first.ok());
  const IndexStats cold = reader.stats();
  // 1000 random keys: the key's leaf sits ~10 bits deep, so its walk passes pages at levels
  // 0, 1 and 2 (perhaps 3), each read once from storage.
  REQUIRE(cold.page_reads_by_level.size() >= 3);
  CHECK(cold.page_reads_by_level.size() <= 4);
  for (size_t level = 0; level < cold.page_reads_by_level.size(); ++level) {
    INFO("level " << level);
    const uint64_t was = level < before.page_reads_by_level.size() ? before.page_reads_by_level[level] : 0;
    CHECK(cold.page_reads_by_level[level] - was == (level == 0 ? (was == 0 ? 1u : 0u) : 1u));
  }
  uint64_t sum = 0;
  for (uint64_t n : cold.page_reads_by_level) sum += n;
  CHECK(sum == cold.page_reads);
  // The same walk again: every page from the cache, nothing read.
  REQUIRE(reader.ProveCommitted(base[3].key, 0, &root).ok());
  const IndexStats warm = reader.stats();
  CHECK(warm.page_reads == cold.page_reads);
  REQUIRE(warm.cache_hits_by_level.size() == cold.page_reads_by_level.size());
  for (size_t level = 0; level < warm.cache_hits_by_level.size(); ++level) {
    INFO("level " << level);
    const uint64_t was = level < cold.cache_hits_by_level.size() ? cold.cache_hits_by_level[level] : 0;
    CHECK(warm.cache_hits_by_level[level] - was == 1);
  }
  CHECK(warm.cache_hits - cold.cache_hits == warm.cache_hits_by_level.size());
}

TEST_CASE("index persists in LevelDB, reverts staged blocks and detects corruption") {
  const Suite suite = GENERATE(Suite::kEd25519Sha256, Suite::kSm2Sm3);
  const uint64_t seed = 0x1e7e1db;
  INFO("seed " << seed << " suite " << SuiteName(suite));
  std::mt19937_64 rng(seed);
  TempDir dir;
  std::vector<Hash32> pool;
  for (int i = 0; i < 300; ++i) pool.push_back(RandomHash(rng));
  std::vector<Model> models;
  Model m;
  auto random_block = [&](Model* model) {
    std::vector<IndexUpdate> block;
    for (int i = 0; i < 100; ++i) {
      block.push_back({pool[rng() % pool.size()], RandomHash(rng)});
      (*model)[block.back().key].push_back(block.back().tx_id);
    }
    return block;
  };
  {
    std::unique_ptr<leveldb::DB> db = OpenDb(dir.path());
    LevelDbReader reader(db.get());
    AuthIndex idx(suite, &reader, "ix/");
    REQUIRE(idx.Open().ok());
    for (uint64_t v = 0; v < 10; ++v) {
      CommitDb(idx, db.get(), v, random_block(&m));
      models.push_back(m);
    }
    // A staged block, flushed into a batch that is never written, then discarded.
    Model lost = m;
    REQUIRE(idx.ApplyBlock(10, random_block(&lost)).ok());
    CHECK(idx.Root() == RefRoot(suite, lost));
    CHECK(idx.has_staged());
    leveldb::WriteBatch dropped;
    LevelDbBatchWriter w(&dropped);
    REQUIRE(idx.FlushTo(&w).ok());
    idx.DiscardStaged();
    CHECK(!idx.has_staged());
    CHECK(idx.last_version() == 9);
    CHECK(idx.Root() == RefRoot(suite, m));
    CHECK(idx.RootAt(10).status().code() == Code::kNotFound);
    for (const Hash32& key : pool) {
      CheckKey(idx, 9, key, m.count(key) ? m.at(key) : std::vector<Hash32>{});
    }
    CommitDb(idx, db.get(), 10, random_block(&m));
    models.push_back(m);
  }
  auto reopen = [&](std::unique_ptr<leveldb::DB>* db, std::unique_ptr<LevelDbReader>* reader) {
    db->reset();
    *db = OpenDb(dir.path());
    *reader = std::make_unique<LevelDbReader>(db->get());
    auto idx = std::make_unique<AuthIndex>(suite, reader->get(), "ix/");
    return idx;
  };
  std::unique_ptr<leveldb::DB> db;
  std::unique_ptr<LevelDbReader> reader;
  {
    auto idx = reopen(&db, &reader);
    REQUIRE(idx->Open().ok());
    CHECK(idx->last_version() == 10);
    CHECK(idx->Root() == RefRoot(suite, m));
    for (uint64_t v = 0; v < models.size(); ++v) {
      CHECK(*idx->RootAt(v) == RefRoot(suite, models[v]));
      for (size_t i = 0; i < pool.size(); i += 7) {
        const auto it = models[v].find(pool[i]);
        CheckKey(*idx, v, pool[i], it == models[v].end() ? std::vector<Hash32>{} : it->second);
      }
    }
  }
  // Find a page below the root written at version 10 whose first terminal is a leaf,
  // then corrupt it in three ways. Value: 04 ‖ n ‖ r ‖ bits ‖ kind ‖ key ‖ count ‖ head …
  std::string leaf_key, leaf_value;
  {
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator(leveldb::ReadOptions()));
    AuthIndex probe(suite, reader.get(), "ix/");
    const std::string start = probe.PageKey(10, 0, Hash32());
    const std::string version_prefix = start.substr(0, start.size() - 2);
    for (it->Seek(start); it->Valid() && it->key().starts_with(version_prefix) &&
                          leaf_key.empty();
         it->Next()) {
      if (it->key().size() > start.size() && it->value()[4] == 0x02) {
        leaf_key = it->key().ToString();
        leaf_value = it->value().ToString();
      }
    }
  }
  REQUIRE(!leaf_key.empty());
  const Hash32 leaf_of = Hash32::FromBytes(AsBytes(leaf_value).subspan(5, 32));
  const std::string leaf_hex = ToHex(AsBytes(leaf_key));
  auto expect_corruption = [&](const std::string& what) {
    INFO(what);
    auto idx = reopen(&db, &reader);
    REQUIRE(idx->Open().ok());
    Result<std::optional<IndexValue>> got = idx->Get(leaf_of);
    CHECK(got.status().code() == Code::kCorruption);
    CHECK(got.status().message().find(leaf_hex) != std::string::npos);
    CHECK(idx->Prove(leaf_of, 10).status().code() == Code::kCorruption);
  };
  std::string altered = leaf_value;
  altered[37] = static_cast<char>(altered[37] ^ 1);  // the first leaf's count
  REQUIRE(db->Put(leveldb::WriteOptions(), leaf_key, altered).ok());
  expect_corruption("count altered");
  {
    // An ApplyBlock that meets the corruption fails and stages nothing.
    auto idx = reopen(&db, &reader);
    REQUIRE(idx->Open().ok());
    const Hash32 before = idx->Root();
    const std::vector<IndexUpdate> block{{pool[0], Hash32()}, {leaf_of, Hash32()}};
    Result<Hash32> r = idx->ApplyBlock(11, block);
    CHECK(r.status().code() == Code::kCorruption);
    CHECK(!idx->has_staged());
    CHECK(idx->last_version() == 10);
    CHECK(idx->Root() == before);
    MemKv sink;
    REQUIRE(idx->FlushTo(&sink).ok());
    CHECK(sink.size() == 1);  // only the meta
  }
  REQUIRE(db->Put(leveldb::WriteOptions(), leaf_key, leaf_value.substr(0, 50)).ok());
  expect_corruption("truncated");
  REQUIRE(db->Delete(leveldb::WriteOptions(), leaf_key).ok());
  expect_corruption("missing");
  {
    // Well-formed bytes, ill-formed page: the first two terminals swapped (out of order).
    const size_t first = 2 + 75;  // the first terminal is a leaf: 3 + 32 + 8 + 32 bytes
    REQUIRE(static_cast<uint8_t>(leaf_value[1]) >= 2);
    const size_t second = leaf_value[first + 2] == 0x02 ? 75 : 43;
    const std::string swapped = leaf_value.substr(0, 2) + leaf_value.substr(first, second) +
                                leaf_value.substr(2, 75) + leaf_value.substr(first + second);
    REQUIRE(swapped.size() == leaf_value.size());
    REQUIRE(db->Put(leveldb::WriteOptions(), leaf_key, swapped).ok());
    expect_corruption("terminals swapped");
  }
  REQUIRE(db->Put(leveldb::WriteOptions(), leaf_key, leaf_value).ok());
  {
    auto idx = reopen(&db, &reader);
    REQUIRE(idx->Open().ok());
    CHECK((*idx->Get(leaf_of)).has_value());
    // The root record altered: Open checks it against the root node.
    std::string root_rec;
    REQUIRE(db->Get(leveldb::ReadOptions(), idx->RootKey(10), &root_rec).ok());
    std::string bad_root = root_rec;
    bad_root[0] = static_cast<char>(bad_root[0] ^ 0x80);
    REQUIRE(db->Put(leveldb::WriteOptions(), idx->RootKey(10), bad_root).ok());
    auto idx2 = reopen(&db, &reader);
    Status s = idx2->Open();
    CHECK(s.code() == Code::kCorruption);
    REQUIRE(db->Put(leveldb::WriteOptions(), idx2->RootKey(10), root_rec).ok());
  }
  {
    // The meta: malformed, or naming the other suite.
    auto idx = reopen(&db, &reader);
    std::string meta;
    REQUIRE(db->Get(leveldb::ReadOptions(), idx->MetaKey(), &meta).ok());
    REQUIRE(db->Put(leveldb::WriteOptions(), idx->MetaKey(), meta + "x").ok());
    CHECK(idx->Open().code() == Code::kCorruption);
    REQUIRE(db->Put(leveldb::WriteOptions(), idx->MetaKey(), meta).ok());
    const Suite other = suite == Suite::kSm2Sm3 ? Suite::kEd25519Sha256 : Suite::kSm2Sm3;
    AuthIndex wrong(other, reader.get(), "ix/");
    Status s = wrong.Open();
    CHECK(s.code() == Code::kCorruption);
    CHECK(s.message().find("suite") != std::string::npos);
  }
}

TEST_CASE("index list entries keep locations and give a version's list without a walk") {
  const Suite suite = GENERATE(Suite::kEd25519Sha256, Suite::kSm2Sm3);
  std::mt19937_64 rng(0x10ca7e);
  Fixture f(suite);
  const Hash32 a = RandomHash(rng), b = RandomHash(rng), none = RandomHash(rng);
  auto at = [](uint64_t height, uint32_t position) {
    return TxLocation{height, position, height * 100 + position};
  };
  std::vector<IndexListEntry> want_a, want_b;
  // Versions 3..7; a gets two ids at 3 and one at 5 and 7, b one at 4 and one at 7.
  for (uint64_t v = 3; v <= 7; ++v) {
    std::vector<IndexUpdate> block;
    auto add = [&](const Hash32& key, uint32_t pos, std::vector<IndexListEntry>* want) {
      const Hash32 id = RandomHash(rng);
      block.emplace_back(key, id, at(v, pos));
      want->push_back({id, at(v, pos)});
    };
    if (v == 3) add(a, 0, &want_a), add(a, 1, &want_a);
    if (v == 4) add(b, 0, &want_b);
    if (v == 5) add(a, 2, &want_a);
    if (v == 7) add(a, 0, &want_a), add(b, 1, &want_b);
    Commit(f.idx, f.kv, v, block);
  }
  // Every entry carries the location it was filed with; ids match List.
  REQUIRE(f.idx.ListEntries(a, 4).ok());
  CHECK(*f.idx.ListEntries(a, 4) == want_a);
  CHECK(*f.idx.ListEntries(b, 2) == want_b);
  CHECK(f.idx.ListEntries(a, 5).status().code() == Code::kCorruption);  // only 4 stored
  // At each version, the entries alone give exactly the list the index value counts.
  for (uint64_t v = 3; v <= 7; ++v) {
    for (const auto* key : {&a, &b, &none}) {
      INFO("version " << v);
      Result<std::vector<IndexListEntry>> got = f.idx.CommittedListUpTo(*key, v);
      REQUIRE(got.ok());
      Result<std::optional<IndexValue>> value = f.idx.Get(*key, v);
      REQUIRE(value.ok());
      const uint64_t count = value->has_value() ? (*value)->count : 0;
      REQUIRE(got->size() == count);
      std::vector<Hash32> ids;
      for (const IndexListEntry& e : *got) ids.push_back(e.id);
      CHECK(VerifyIndexList(suite, ids, *value).ok());
    }
  }
  CHECK(f.idx.CommittedListUpTo(a, 4)->size() == 2);
  CHECK(f.idx.CommittedListUpTo(a, 100)->size() == 4);
  CHECK(f.idx.CommittedListUpTo(a, 2)->empty());
  // A staged block is seen by ListEntries (the writer's view) but not by CommittedListUpTo,
  // which reads the committed entries only.
  const Hash32 staged_id = RandomHash(rng);
  REQUIRE(f.idx.ApplyBlock(8, std::vector<IndexUpdate>{{a, staged_id, at(8, 0)}}).ok());
  CHECK(f.idx.ListEntries(a, 5)->back().id == staged_id);
  CHECK(f.idx.CommittedListUpTo(a, 8)->size() == 4);
  // ProveCommitted answers from the committed versions alone, exactly as Prove does there;
  // the staged version exists only in the writer's view.
  for (uint64_t v : {4, 7}) {
    for (const auto* key : {&a, &b, &none}) {
      INFO("version " << v);
      Hash32 root;
      Result<IndexLookup> committed = f.idx.ProveCommitted(*key, v, &root);
      Result<IndexLookup> latest = f.idx.Prove(*key, v);
      REQUIRE(committed.ok());
      REQUIRE(latest.ok());
      CHECK(root == *f.idx.RootAt(v));
      CHECK(committed->value == latest->value);
      CHECK(committed->proof == latest->proof);
      CHECK(VerifyIndexProof(suite, root, *key, committed->value, committed->proof).ok());
    }
  }
  Hash32 unused;
  CHECK(f.idx.ProveCommitted(a, 8, &unused).status().code() == Code::kNotFound);
  CHECK(f.idx.ProveCommitted(a, 2, &unused).status().code() == Code::kNotFound);
  CHECK(f.idx.Prove(a, 8)->value->count == 5);
  f.idx.DiscardStaged();
  // A location whose height is not the version being applied is refused, nothing staged.
  Result<Hash32> wrong = f.idx.ApplyBlock(8, std::vector<IndexUpdate>{{a, staged_id, at(9, 0)}});
  CHECK(wrong.status().code() == Code::kInvalidArgument);
  CHECK(wrong.status().message().find("height 9 in version 8") != std::string::npos);
  CHECK(!f.idx.has_staged());

  // Stored forms: 52 bytes with a location, 32 without; anything else is Corruption naming
  // the storage key; an entry without a location makes CommittedListUpTo step aside.
  const std::string key0 = f.idx.ListKey(a, 0), key1 = f.idx.ListKey(a, 1);
  std::string v0;
  REQUIRE(f.kv.Get(key0, &v0).ok());
  REQUIRE(v0.size() == 52);
  CHECK(Hash32::FromBytes(AsBytes(v0).subspan(0, 32)) == want_a[0].id);
  f.kv.Put(key1, v0.substr(0, 32));  // entry 1 as an older store wrote it
  CHECK(f.idx.ListEntries(a, 2)->at(1).location == TxLocation());
  CHECK(f.idx.ListEntries(a, 2)->at(1).id == want_a[0].id);
  CHECK(f.idx.CommittedListUpTo(a, 7).status().code() == Code::kFailedPrecondition);
  for (const std::string& bad : {v0.substr(0, 40), v0 + "x", std::string()}) {
    f.kv.Put(key1, bad);
    Result<std::vector<IndexListEntry>> got = f.idx.CommittedListUpTo(a, 7);
    CHECK(got.status().code() == Code::kCorruption);
    CHECK(got.status().message().find(ToHex(AsBytes(key1))) != std::string::npos);
    CHECK(f.idx.ListEntries(a, 2).status().code() == Code::kCorruption);
  }
  std::string zero_height = v0;
  for (size_t i = 32; i < 40; ++i) zero_height[i] = 0;
  f.kv.Put(key1, zero_height);
  CHECK(f.idx.CommittedListUpTo(a, 7).status().code() == Code::kCorruption);
  // Entry 1 claiming height 2 after entry 0 at height 3: out of order.
  std::string earlier = v0;
  earlier[32] = 2;
  f.kv.Put(key1, earlier);
  Result<std::vector<IndexListEntry>> disorder = f.idx.CommittedListUpTo(a, 7);
  CHECK(disorder.status().code() == Code::kCorruption);
  CHECK(disorder.status().message().find("after one at 3") != std::string::npos);
  // A gap (entry 1 missing) ends the committed list, as the point reads it replaced did.
  f.kv.Delete(key1);
  REQUIRE(f.idx.CommittedListUpTo(a, 7).ok());
  CHECK(f.idx.CommittedListUpTo(a, 7)->size() == 1);
  // A stray key of another length under the list's prefix is Corruption naming it.
  const std::string stray = key0 + "z";
  f.kv.Put(stray, v0);
  Result<std::vector<IndexListEntry>> strayed = f.idx.CommittedListUpTo(a, 7);
  CHECK(strayed.status().code() == Code::kCorruption);
  CHECK(strayed.status().message().find(ToHex(AsBytes(stray))) != std::string::npos);
  // Key b's list, next to a's in key order or not, is untouched by all of this.
  CHECK(f.idx.CommittedListUpTo(b, 7)->size() == 2);
}
