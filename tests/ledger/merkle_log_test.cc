// Tests of the persistent MerkleLog (merkle_log.h) over MemKv and over real LevelDB:
// proofs equal the naive RFC recursion, survive restarts, staged state, corruption.
#include "hearth/ledger/merkle_log.h"

#include <leveldb/db.h>
#include <leveldb/write_batch.h>
#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "ledger/merkle_naive.h"
#include "temp_dir.h"

namespace hearth {
namespace {

using TempDir = testing::TempDir;

const std::string kPrefix = "L";

std::unique_ptr<leveldb::DB> OpenDb(const std::string& path) {
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* db = nullptr;
  leveldb::Status s = leveldb::DB::Open(options, path, &db);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return std::unique_ptr<leveldb::DB>(db);
}

// Flushes into a LevelDB batch, writes it, marks flushed (the store's sequence).
void CommitToDb(MerkleLog& log, leveldb::DB* db) {
  leveldb::WriteBatch batch;
  LevelDbBatchWriter writer(&batch);
  REQUIRE(log.FlushTo(&writer).ok());
  REQUIRE(db->Write(leveldb::WriteOptions(), &batch).ok());
  log.MarkFlushed();
}

// The same over MemKv: the batch is a separate MemKv applied afterwards, so reads never
// see half-committed state.
void CommitToMem(MerkleLog& log, MemKv& db) {
  MemKv batch;
  REQUIRE(log.FlushTo(&batch).ok());
  for (const auto& [k, v] : batch.map()) db.Put(k, v);
  log.MarkFlushed();
}

class CountingReader final : public KvReader {
 public:
  explicit CountingReader(const KvReader* inner) : inner_(inner) {}
  Status Get(std::string_view key, std::string* value) const override {
    ++reads;
    return inner_->Get(key, value);
  }
  Status Scan(std::string_view begin, std::string_view end, size_t entries_max,
              const ScanFn& fn) const override {
    ++reads;
    return inner_->Scan(begin, end, entries_max, fn);
  }
  mutable int reads = 0;

 private:
  const KvReader* inner_;
};

// Naive answers for every pair up to n, computed once.
struct NaiveTable {
  NaiveTable(Suite suite, const std::vector<Hash32>& leaves) {
    n = leaves.size();
    std::span<const Hash32> all(leaves);
    for (uint64_t size = 0; size <= n; ++size) roots.push_back(test::NaiveMth(suite, all.first(size)));
    for (uint64_t size = 1; size <= n; ++size) {
      for (uint64_t i = 0; i < size; ++i) paths[{i, size}] = test::NaivePath(suite, i, all.first(size));
      for (uint64_t m = 1; m <= size; ++m) proofs[{m, size}] = test::NaiveProof(suite, m, all.first(size));
    }
  }
  uint64_t n;
  std::vector<Hash32> roots;
  std::map<std::pair<uint64_t, uint64_t>, std::vector<Hash32>> paths, proofs;
};

void CheckAgainstTable(const MerkleLog& log, const NaiveTable& t, const std::vector<Hash32>& leaves) {
  REQUIRE(log.size() == t.n);
  REQUIRE(log.Root() == t.roots[t.n]);
  for (uint64_t size = 0; size <= t.n; ++size) {
    INFO("size " << size << " committed " << log.committed_size());
    REQUIRE(log.RootAt(size).value() == t.roots[size]);
    for (uint64_t i = 0; i < size; ++i) {
      INFO("index " << i);
      REQUIRE(log.LeafHashAt(i).value() == leaves[i]);
      auto proof = log.InclusionProof(i, size);
      REQUIRE(proof.ok());
      REQUIRE(*proof == t.paths.at({i, size}));
      REQUIRE(merkle::VerifyInclusion(log.suite(), leaves[i], i, size, t.roots[size], *proof).ok());
    }
    for (uint64_t m = 1; m <= size; ++m) {
      INFO("size1 " << m);
      auto proof = log.ConsistencyProof(m, size);
      REQUIRE(proof.ok());
      REQUIRE(*proof == t.proofs.at({m, size}));
      REQUIRE(merkle::VerifyConsistency(log.suite(), m, t.roots[m], size, t.roots[size], *proof).ok());
    }
  }
}

TEST_CASE("MerkleLog over MemKv: every pair up to 64, for every committed/staged boundary") {
  for (Suite suite : {Suite::kEd25519Sha256, Suite::kSm2Sm3}) {
    INFO("suite " << SuiteName(suite));
    const std::vector<Hash32> leaves = test::TestLeaves(suite, 64, 7);
    const NaiveTable table(suite, leaves);
    for (uint64_t boundary : {0, 1, 2, 15, 16, 17, 31, 32, 33, 48, 63, 64}) {
      INFO("committed boundary " << boundary);
      MemKv db;
      MerkleLog log(suite, &db, kPrefix);
      REQUIRE(log.Open().ok());
      for (uint64_t i = 0; i < 64; ++i) {
        if (i == boundary) CommitToMem(log, db);
        REQUIRE(log.Append(leaves[i]).value() == i);
        REQUIRE(log.Root() == table.roots[i + 1]);
      }
      if (boundary == 64) CommitToMem(log, db);
      REQUIRE(log.committed_size() == boundary);
      CheckAgainstTable(log, table, leaves);
      CommitToMem(log, db);
      CheckAgainstTable(log, table, leaves);  // same object after the commit: caches current
      MerkleLog reopened(suite, &db, kPrefix);
      REQUIRE(reopened.Open().ok());
      CheckAgainstTable(reopened, table, leaves);
    }
  }
}

TEST_CASE("MerkleLog over LevelDB: every pair up to 64, flushed in batches, after reopen") {
  const Suite suite = Suite::kEd25519Sha256;
  const uint64_t seed = 0xba7c4e5;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const std::vector<Hash32> leaves = test::TestLeaves(suite, 64, seed);
  const NaiveTable table(suite, leaves);
  TempDir dir;
  {
    auto db = OpenDb(dir.path());
    LevelDbReader reader(db.get());
    MerkleLog log(suite, &reader, kPrefix);
    REQUIRE(log.Open().ok());
    for (uint64_t i = 0; i < 64; ++i) {
      REQUIRE(log.Append(leaves[i]).ok());
      if (rng() % 5 == 0) CommitToDb(log, db.get());
    }
    CheckAgainstTable(log, table, leaves);
    CommitToDb(log, db.get());
  }
  auto db = OpenDb(dir.path());
  LevelDbReader reader(db.get());
  MerkleLog log(suite, &reader, kPrefix);
  REQUIRE(log.Open().ok());
  CheckAgainstTable(log, table, leaves);
}

// Roots of the given prefix sizes, computed independently of MerkleLog.
std::map<uint64_t, Hash32> PrefixRoots(Suite suite, const std::vector<Hash32>& leaves,
                                       const std::set<uint64_t>& sizes) {
  std::map<uint64_t, Hash32> out;
  for (uint64_t n : sizes) out[n] = merkle::RootOf(suite, std::span(leaves).first(n));
  return out;
}

void CheckRandomProofs(const MerkleLog& log, const std::vector<Hash32>& leaves,
                       const std::map<uint64_t, Hash32>& roots, std::mt19937_64& rng) {
  const Suite suite = log.suite();
  for (const auto& [n, root] : roots) {
    INFO("size " << n);
    REQUIRE(log.RootAt(n).value() == root);
    for (int k = 0; k < 5; ++k) {
      uint64_t i = rng() % n;
      INFO("index " << i);
      auto proof = log.InclusionProof(i, n);
      REQUIRE(proof.ok());
      REQUIRE(merkle::VerifyInclusion(suite, leaves[i], i, n, root, *proof).ok());
    }
    for (const auto& [m, root1] : roots) {
      if (m > n) break;
      INFO("size1 " << m);
      auto proof = log.ConsistencyProof(m, n);
      REQUIRE(proof.ok());
      REQUIRE(merkle::VerifyConsistency(suite, m, root1, n, root, *proof).ok());
    }
  }
}

TEST_CASE("MerkleLog over LevelDB: random sizes up to 10^5, before and after reopen") {
  const Suite suite = Suite::kEd25519Sha256;
  const uint64_t seed = std::random_device{}();
  INFO("seed " << seed << " (rerun by fixing it here)");
  std::mt19937_64 rng(seed);
  const uint64_t total = 100000;
  std::vector<Hash32> leaves = test::TestLeaves(suite, total + 777, seed);
  std::set<uint64_t> sizes = {1, 2, 3, 16, 17, 4095, 4096, 4097, total};
  while (sizes.size() < 24) sizes.insert(1 + rng() % total);
  const auto roots = PrefixRoots(suite, leaves, sizes);
  TempDir dir;
  {
    auto db = OpenDb(dir.path());
    LevelDbReader reader(db.get());
    MerkleLog log(suite, &reader, kPrefix);
    REQUIRE(log.Open().ok());
    uint64_t next_flush = 1 + rng() % 2000;
    for (uint64_t i = 0; i < total; ++i) {
      REQUIRE(log.Append(leaves[i]).ok());
      if (i + 1 == next_flush) {
        CommitToDb(log, db.get());
        next_flush += 1 + rng() % 2000;
      }
    }
    CheckRandomProofs(log, leaves, roots, rng);
    CommitToDb(log, db.get());
  }
  auto db = OpenDb(dir.path());
  LevelDbReader leveldb_reader(db.get());
  CountingReader reader(&leveldb_reader);
  MerkleLog log(suite, &reader, kPrefix);
  REQUIRE(log.Open().ok());
  CHECK(reader.reads <= 1 + merkle::kLevelMax);  // meta + frontier tiles, no rebuild
  REQUIRE(log.size() == total);
  CheckRandomProofs(log, leaves, roots, rng);
  // O(log n) reads per proof: one tile per tile level on the path, plus the right edge.
  reader.reads = 0;
  REQUIRE(log.InclusionProof(rng() % (total - 5000), total - 1).ok());
  CHECK(reader.reads <= 2 * 5 + 17);
  reader.reads = 0;
  REQUIRE(log.ConsistencyProof(1 + rng() % (total - 1), total).ok());
  CHECK(reader.reads <= 2 * 5 + 17);
  // Many proofs at one size in one call: the same proofs as one at a time, in the order
  // given (ascending or not); in ascending order, leaves that share a tile read it once.
  for (uint64_t size : {total, total - 1, uint64_t{4097}}) {
    std::vector<uint64_t> indices;
    for (int k = 0; k < 75; ++k) {  // leaves in pairs that share their leaf tile
      const uint64_t i = rng() % (size - 1);
      indices.push_back(i);
      indices.push_back(i ^ 1);
    }
    std::vector<uint64_t> sorted = indices;
    std::sort(sorted.begin(), sorted.end());
    for (const std::vector<uint64_t>* order : {&indices, &sorted}) {
      // One at a time first, so that the upper tiles are in the log's cache for both.
      reader.reads = 0;
      std::vector<std::vector<Hash32>> singles;
      for (uint64_t index : *order) {
        auto one = log.InclusionProof(index, size);
        REQUIRE(one.ok());
        singles.push_back(*one);
      }
      const auto single_reads = reader.reads;
      reader.reads = 0;
      auto batch = log.InclusionProofs(*order, size);
      REQUIRE(batch.ok());
      CHECK(*batch == singles);
      if (order == &sorted) CHECK(reader.reads * 3 <= single_reads * 2);
    }
  }
  CHECK(log.InclusionProofs(std::vector<uint64_t>{1, total}, total).status().message().find("leaf " +
                                                                                            std::to_string(total)) !=
        std::string::npos);
  CHECK(log.InclusionProofs(std::vector<uint64_t>{1}, total + 1).status().code() == Code::kOutOfRange);
  // A staged tail on top of the reopened log.
  for (uint64_t i = total; i < total + 777; ++i) REQUIRE(log.Append(leaves[i]).ok());
  std::set<uint64_t> tail_sizes = {total, total + 1, total + 776, total + 777, 1 + rng() % total};
  CheckRandomProofs(log, leaves, PrefixRoots(suite, leaves, tail_sizes), rng);
}

TEST_CASE("one log object stays right across many flushes (no stale cached tile)") {
  const Suite suite = Suite::kEd25519Sha256;
  const uint64_t seed = 0xcac4e;
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  const uint64_t total = 700;  // tile (1, 0) fills at 256, (1, 1) at 512; (2, 0) stays partial
  const std::vector<Hash32> leaves = test::TestLeaves(suite, total, seed);
  std::vector<Hash32> prefix_roots;
  for (uint64_t n = 0; n <= total; ++n) prefix_roots.push_back(merkle::RootOf(suite, std::span(leaves).first(n)));
  TempDir dir;
  auto db = OpenDb(dir.path());
  LevelDbReader reader(db.get());
  MerkleLog log(suite, &reader, kPrefix);
  REQUIRE(log.Open().ok());
  for (uint64_t n = 0; n < total;) {
    uint64_t batch = std::min<uint64_t>(1 + rng() % 40, total - n);
    for (uint64_t i = 0; i < batch; ++i) REQUIRE(log.Append(leaves[n + i]).ok());
    n += batch;
    if (rng() % 4 == 0) {  // sometimes a dropped batch: staged leaves discarded and redone
      log.DiscardStaged();
      for (uint64_t i = n - batch; i < n; ++i) REQUIRE(log.Append(leaves[i]).ok());
    }
    CommitToDb(log, db.get());
    INFO("size " << n);
    for (int k = 0; k < 8; ++k) {
      uint64_t size = 1 + rng() % n;
      uint64_t index = rng() % size;
      REQUIRE(log.RootAt(size).value() == prefix_roots[size]);
      auto proof = log.InclusionProof(index, size);
      REQUIRE(proof.ok());
      REQUIRE(merkle::VerifyInclusion(suite, leaves[index], index, size, prefix_roots[size], *proof).ok());
      auto cproof = log.ConsistencyProof(size, n);
      REQUIRE(cproof.ok());
      REQUIRE(merkle::VerifyConsistency(suite, size, prefix_roots[size], n, prefix_roots[n], *cproof).ok());
    }
  }
}

TEST_CASE("restart: 10^4 leaves in LevelDB give the same root and proofs after reopen") {
  const Suite suite = Suite::kSm2Sm3;
  const uint64_t total = 10000;
  const std::vector<Hash32> leaves = test::TestLeaves(suite, total, 99);
  TempDir dir;
  Hash32 root_before;
  std::vector<std::vector<Hash32>> proofs_before;
  const uint64_t probes[] = {0, 1, 4095, 4096, 8191, 9998, 9999};
  {
    auto db = OpenDb(dir.path());
    LevelDbReader reader(db.get());
    MerkleLog log(suite, &reader, kPrefix);
    REQUIRE(log.Open().ok());
    for (uint64_t i = 0; i < total; ++i) {
      REQUIRE(log.Append(leaves[i]).ok());
      if ((i + 1) % 1000 == 0 || i == 4 || i == 4096) CommitToDb(log, db.get());
    }
    REQUIRE(!log.has_staged());
    root_before = log.Root();
    for (uint64_t p : probes) {
      proofs_before.push_back(log.InclusionProof(p, total).value());
      proofs_before.push_back(log.ConsistencyProof(p + 1, total).value());
    }
  }
  CHECK(root_before == merkle::RootOf(suite, leaves));
  auto db = OpenDb(dir.path());
  LevelDbReader reader(db.get());
  MerkleLog log(suite, &reader, kPrefix);
  REQUIRE(log.Open().ok());
  CHECK(log.size() == total);
  CHECK(log.Root() == root_before);
  size_t k = 0;
  for (uint64_t p : probes) {
    CHECK(log.InclusionProof(p, total).value() == proofs_before[k++]);
    CHECK(log.ConsistencyProof(p + 1, total).value() == proofs_before[k++]);
  }
  // Opening with the other suite is refused, not silently rehashed.
  MerkleLog wrong(Suite::kEd25519Sha256, &reader, kPrefix);
  CHECK(wrong.Open().code() == Code::kFailedPrecondition);
}

TEST_CASE("DiscardStaged restores the committed state, a dropped batch leaves no trace") {
  const Suite suite = Suite::kEd25519Sha256;
  const std::vector<Hash32> a = test::TestLeaves(suite, 150, 1);
  const std::vector<Hash32> b = test::TestLeaves(suite, 150, 2);
  TempDir dir;
  auto db = OpenDb(dir.path());
  LevelDbReader reader(db.get());
  MerkleLog log(suite, &reader, kPrefix);
  REQUIRE(log.Open().ok());
  for (uint64_t i = 0; i < 100; ++i) REQUIRE(log.Append(a[i]).ok());
  CommitToDb(log, db.get());
  const Hash32 root100 = log.Root();
  const auto proof100 = log.InclusionProof(99, 100).value();
  for (uint64_t i = 100; i < 150; ++i) REQUIRE(log.Append(a[i]).ok());
  REQUIRE(log.Root() == merkle::RootOf(suite, a));
  {
    leveldb::WriteBatch dropped;  // filled, never written
    LevelDbBatchWriter writer(&dropped);
    REQUIRE(log.FlushTo(&writer).ok());
  }
  log.DiscardStaged();
  CHECK(log.size() == 100);
  CHECK(!log.has_staged());
  CHECK(log.Root() == root100);
  CHECK(log.InclusionProof(99, 100).value() == proof100);
  CHECK(log.InclusionProof(99, 101).status().code() == Code::kOutOfRange);
  // Other leaves appended after the discard: the log is theirs alone.
  std::vector<Hash32> expect(a.begin(), a.begin() + 100);
  for (uint64_t i = 100; i < 150; ++i) {
    REQUIRE(log.Append(b[i]).ok());
    expect.push_back(b[i]);
  }
  CHECK(log.Root() == merkle::RootOf(suite, expect));
  CommitToDb(log, db.get());
  MerkleLog reopened(suite, &reader, kPrefix);
  REQUIRE(reopened.Open().ok());
  CHECK(reopened.Root() == merkle::RootOf(suite, expect));
  CHECK(reopened.LeafHashAt(120).value() == b[120]);
}

// A committed MemKv log of n leaves.
MemKv BuildMem(Suite suite, uint64_t n) {
  MemKv db;
  MerkleLog log(suite, &db, kPrefix);
  HEARTH_CHECK(log.Open().ok());
  for (const Hash32& h : test::TestLeaves(suite, n, 3)) HEARTH_CHECK(log.Append(h).ok());
  CommitToMem(log, db);
  return db;
}

TEST_CASE("storage layout: tiles of 4 levels, meta value, exact bytes") {
  const Suite suite = Suite::kEd25519Sha256;
  const std::vector<Hash32> leaves = test::TestLeaves(suite, 37, 3);
  MemKv db = BuildMem(suite, 37);
  MerkleLog log(suite, &db, kPrefix);
  REQUIRE(log.Open().ok());
  // Keys: meta, tiles (0,0) (0,1) (0,2) and (1,0), nothing else.
  std::set<std::string> keys;
  for (const auto& [k, v] : db.map()) keys.insert(k);
  CHECK(keys == std::set<std::string>{log.MetaKey(), log.TileKey(0, 0), log.TileKey(0, 1),
                                      log.TileKey(0, 2), log.TileKey(1, 0)});
  CHECK(ToHex(AsBytes(log.TileKey(1, 0x0102))) == "4c010000000000000102");
  CHECK(ToHex(AsBytes(db.map().at(log.MetaKey()))) == "01012500000000000000");
  // Tile (0,0): 16 leaves, 8 level-1, 4 level-2, 2 level-3 nodes, in that order.
  std::string want;
  std::span<const Hash32> all(leaves);
  for (int level = 0; level < 4; ++level) {
    for (uint64_t i = 0; i < (uint64_t{16} >> level); ++i) {
      Hash32 h = test::NaiveMth(suite, all.subspan(i << level, uint64_t{1} << level));
      want.append(AsChars(h.view()));
    }
  }
  CHECK(db.map().at(log.TileKey(0, 0)) == want);
  // Partial tiles: (0,2) holds 5 + 2 + 1 hashes, (1,0) holds the two level-4 nodes + 1.
  CHECK(db.map().at(log.TileKey(0, 2)).size() == 8 * 32);
  CHECK(db.map().at(log.TileKey(1, 0)).size() == 3 * 32);
  CHECK(db.map().at(log.TileKey(1, 0)).substr(64) ==
        std::string(AsChars(test::NaiveMth(suite, all.first(32)).view())));
}

TEST_CASE("FlushTo is repeatable and writes nothing without staged leaves") {
  const Suite suite = Suite::kEd25519Sha256;
  MemKv db = BuildMem(suite, 21);
  MerkleLog log(suite, &db, kPrefix);
  REQUIRE(log.Open().ok());
  MemKv empty;
  REQUIRE(log.FlushTo(&empty).ok());
  CHECK(empty.size() == 0);
  for (const Hash32& h : test::TestLeaves(suite, 40, 4)) REQUIRE(log.Append(h).ok());
  MemKv first, second;
  REQUIRE(log.FlushTo(&first).ok());
  REQUIRE(log.FlushTo(&second).ok());
  CHECK(first.map() == second.map());
  // 21 -> 61 leaves rewrites tiles (0,1) .. (0,3), (1,0) and the meta key.
  CHECK(first.size() == 5);
}

TEST_CASE("corruption is reported as Corruption naming the key, never NotFound") {
  const Suite suite = Suite::kEd25519Sha256;
  // 1000 = 0b1111101000: frontier nodes at levels 3, 5, 6, 7, 8, 9.
  MemKv key_db;
  MerkleLog keys(suite, &key_db, kPrefix);  // only for key names
  SECTION("a deleted interior tile fails the proofs that need it") {
    MemKv db = BuildMem(suite, 1000);
    db.Delete(keys.TileKey(0, 5));
    MerkleLog log(suite, &db, kPrefix);
    REQUIRE(log.Open().ok());
    Status st = log.InclusionProof(80, 1000).status();
    CHECK(st.code() == Code::kCorruption);
    CHECK(st.message().find(ToHex(AsBytes(keys.TileKey(0, 5)))) != std::string::npos);
    CHECK(log.LeafHashAt(81).status().code() == Code::kCorruption);
    CHECK(log.RootAt(90).status().code() == Code::kCorruption);
    CHECK(log.InclusionProof(0, 1000).ok());  // does not touch tile (0,5) leaves
  }
  SECTION("a truncated tile value") {
    MemKv db = BuildMem(suite, 1000);
    std::string v = db.map().at(keys.TileKey(1, 0));
    db.Put(keys.TileKey(1, 0), v.substr(0, v.size() - 1));
    MerkleLog log(suite, &db, kPrefix);
    REQUIRE(log.Open().ok());
    Status st = log.ConsistencyProof(20, 1000).status();  // siblings at levels 4..7
    CHECK(log.ConsistencyProof(300, 1000).ok());  // its path avoids tile (1, 0)
    CHECK(st.code() == Code::kCorruption);
    CHECK(st.message().find("bytes, want") != std::string::npos);
  }
  SECTION("a missing frontier tile fails Open") {
    MemKv db = BuildMem(suite, 1000);
    db.Delete(keys.TileKey(0, 62));  // holds node (3, 124)
    MerkleLog log(suite, &db, kPrefix);
    Status st = log.Open();
    CHECK(st.code() == Code::kCorruption);
    CHECK(st.message().find(ToHex(AsBytes(keys.TileKey(0, 62)))) != std::string::npos);
  }
  SECTION("a malformed or missing meta value") {
    MemKv db = BuildMem(suite, 1000);
    std::string meta = db.map().at(keys.MetaKey());
    db.Put(keys.MetaKey(), meta.substr(1));
    CHECK(MerkleLog(suite, &db, kPrefix).Open().code() == Code::kCorruption);
    meta[0] = 2;
    db.Put(keys.MetaKey(), meta);
    CHECK(MerkleLog(suite, &db, kPrefix).Open().code() == Code::kCorruption);
    db.Delete(keys.MetaKey());
    CHECK(MerkleLog(suite, &db, kPrefix).Open().code() == Code::kCorruption);
  }
  SECTION("a stale tile (written at another size) is caught by its length") {
    MemKv db = BuildMem(suite, 1000);
    // As if the last batch's write of this tile were lost: the value of 994 leaves.
    MemKv older = BuildMem(suite, 994);
    db.Put(keys.TileKey(0, 62), older.map().at(keys.TileKey(0, 62)));
    Status st = MerkleLog(suite, &db, kPrefix).Open();
    CHECK(st.code() == Code::kCorruption);
    CHECK(st.message().find("value is 96 bytes, want 480") != std::string::npos);
  }
}

// The block store releases its lock while a commit's batch is written, so readers prove at
// the committed size while that batch may already be visible in the store and not yet
// marked flushed: the right-edge tiles they read are then the newer, longer values. Complete
// nodes never change, so those values answer every question about the committed size.
TEST_CASE("proofs at the committed size while the next batch is already visible") {
  const Suite suite = Suite::kEd25519Sha256;
  const std::vector<Hash32> leaves = test::TestLeaves(suite, 300, 11);
  const NaiveTable table(suite, std::vector<Hash32>(leaves.begin(), leaves.begin() + 100));
  // Committed sizes whose right-edge tiles grow in the next batch (21: tile (0,1) 5 -> 11
  // bottom nodes; 100: tiles (0,6) and (1,0) grow), and a batch that completes a tile.
  for (auto [committed, next] : {std::pair<uint64_t, uint64_t>{21, 27}, {100, 300}, {30, 32}}) {
    INFO("committed " << committed << ", next batch up to " << next);
    MemKv db;
    MerkleLog log(suite, &db, kPrefix);
    REQUIRE(log.Open().ok());
    for (uint64_t i = 0; i < committed; ++i) REQUIRE(log.Append(leaves[i]).ok());
    CommitToMem(log, db);
    for (uint64_t i = committed; i < next; ++i) REQUIRE(log.Append(leaves[i]).ok());
    REQUIRE(log.FlushTo(&db).ok());  // visible at once, MarkFlushed not yet called
    const NaiveTable small(suite, std::vector<Hash32>(leaves.begin(), leaves.begin() + static_cast<long>(std::min<uint64_t>(committed, 100))));
    for (uint64_t size = 1; size <= std::min<uint64_t>(committed, 100); ++size) {
      INFO("size " << size);
      auto root = log.RootAt(size);
      REQUIRE(root.status().ToString() == "ok");
      REQUIRE(*root == small.roots[size]);
      for (uint64_t i = 0; i < size; i += 3) {
        auto proof = log.InclusionProof(i, size);
        REQUIRE(proof.status().ToString() == "ok");
        REQUIRE(*proof == small.paths.at({i, size}));
      }
      for (uint64_t m = 1; m <= size; m += 5) {
        auto proof = log.ConsistencyProof(m, size);
        REQUIRE(proof.status().ToString() == "ok");
        REQUIRE(*proof == small.proofs.at({m, size}));
      }
    }
    log.MarkFlushed();
    REQUIRE(log.committed_size() == next);
    if (next <= 100) {
      for (uint64_t i = 0; i < next; ++i) {
        auto proof = log.InclusionProof(i, next);
        REQUIRE(proof.ok());
        REQUIRE(*proof == table.paths.at({i, next}));
      }
    }
    REQUIRE(log.Root() == test::NaiveMth(suite, std::span<const Hash32>(leaves).first(next)));
  }
  SECTION("a longer tile with nothing staged is still corruption") {
    MemKv db = BuildMem(suite, 994);
    MemKv newer = BuildMem(suite, 1000);
    MerkleLog keys(suite, &db, kPrefix);
    db.Put(keys.TileKey(0, 62), newer.map().at(keys.TileKey(0, 62)));
    Status st = MerkleLog(suite, &db, kPrefix).Open();
    CHECK(st.code() == Code::kCorruption);
    CHECK(st.message().find("value is 480 bytes, want 96") != std::string::npos);
  }
}

TEST_CASE("MerkleLog parameter errors and the staged-leaves bound") {
  const Suite suite = Suite::kEd25519Sha256;
  MemKv db = BuildMem(suite, 10);
  MerkleLog log(suite, &db, kPrefix);
  REQUIRE(log.Open().ok());
  CHECK(log.InclusionProof(3, 11).status().code() == Code::kOutOfRange);
  CHECK(log.InclusionProof(10, 10).status().code() == Code::kInvalidArgument);
  CHECK(log.ConsistencyProof(0, 10).status().code() == Code::kInvalidArgument);
  CHECK(log.ConsistencyProof(5, 4).status().code() == Code::kInvalidArgument);
  CHECK(log.ConsistencyProof(5, 11).status().code() == Code::kOutOfRange);
  CHECK(log.ConsistencyProof(7, 7)->empty());
  CHECK(log.RootAt(11).status().code() == Code::kOutOfRange);
  CHECK(log.RootAt(0).value() == merkle::EmptyRoot(suite));
  CHECK(log.LeafHashAt(10).status().code() == Code::kOutOfRange);
  MemKv empty_db;
  MerkleLog empty(suite, &empty_db, kPrefix);
  REQUIRE(empty.Open().ok());
  CHECK(empty.Root() == merkle::EmptyRoot(suite));
  Hash32 leaf = test::TestLeaves(suite, 1, 5)[0];
  empty.TEST_SetStagedLeavesMax(100);
  for (uint64_t i = 0; i < 100; ++i) REQUIRE(empty.Append(leaf).ok());
  CHECK(empty.Append(leaf).status().code() == Code::kFailedPrecondition);
  CHECK(empty.size() == 100);
  CommitToMem(empty, empty_db);
  CHECK(empty.Append(leaf).ok());
}

}  // namespace
}  // namespace hearth
