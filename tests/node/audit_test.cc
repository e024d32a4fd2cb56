// The chain export file and the offline audit (node/audit.h): a small chain with real keys,
// real certificates and a real block store (which computes the header roots independently
// of the audit), then every way the file can be wrong.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "hearth/ledger/store.h"
#include "hearth/node/audit.h"
#include "node/cluster_fixture.h"

namespace hearth {
namespace {

using node::AuditChain;
using node::ChainExport;
using node::ExportRecord;

constexpr uint32_t kRound = 0;

// Builds a chain over a BlockStore in the cluster's genesis; keeps it as an export.
class ChainMaker {
 public:
  explicit ChainMaker(test::Cluster& c) : c_(c) {
    dir_ = std::filesystem::temp_directory_path() /
           ("hearth-audit-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    auto s = BlockStore::Open(dir_.string(), c.genesis().suite, c.genesis().chain_id, c.genesis().hash, {});
    REQUIRE(s.ok());
    store_ = std::move(s).value();
    export_.genesis_hash = c.genesis().hash;
  }
  ~ChainMaker() {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  Transaction Sign(TxPayload payload, const PrivateKey& key) {
    TxBody body;
    body.suite = c_.genesis().suite;
    body.chain_id = c_.genesis().chain_id;
    body.issued_at_ms = c_.genesis().genesis_time_ms + 1000;
    body.nonce = nonce_++;
    body.payload = std::move(payload);
    auto tx = Transaction::Sign(std::move(body), key);
    REQUIRE(tx.ok());
    return *tx;
  }
  Transaction Attest(const PrivateKey& key, int subject, uint32_t months = 1) {
    Attestation a;
    a.subject = SuiteHash(Suite::kEd25519Sha256, AsBytes("subject " + std::to_string(subject)));
    a.category = Category::kWage;
    a.first_month = 202401;
    a.last_month = 202401 + months - 1;
    a.amount_fen = 100'000 + subject;
    return Sign(a, key);
  }
  CommitCertificate Certify(const BlockHeader& h, size_t votes = 3) {
    CommitCertificate cert;
    cert.height = h.height;
    cert.round = kRound;
    cert.block_hash = BlockHash(h);
    for (size_t m = 0; m < votes; ++m) {
      auto sig = SignPrecommit(c_.node_key(m), h.chain_id, h.height, kRound, cert.block_hash);
      REQUIRE(sig.ok());
      cert.votes.push_back({static_cast<uint16_t>(m), *sig});
    }
    return cert;
  }
  void Commit(std::vector<Transaction> txs) {
    auto roots = store_->PreviewRoots(txs);
    REQUIRE(roots.ok());
    Block b;
    b.header = HeaderFromRoots(*roots, c_.genesis().suite, c_.genesis().chain_id,
                               c_.genesis().genesis_time_ms + roots->height * 1000,
                               static_cast<uint16_t>(roots->height % 4), static_cast<uint32_t>(txs.size()));
    b.txs = std::move(txs);
    const CommitCertificate cert = Certify(b.header);
    REQUIRE(store_->CommitBlock(b, cert).ok());
    export_.records.push_back({EncodeBlock(b), EncodeCertificate(cert)});
  }

  const ChainExport& exported() const { return export_; }
  ChainExport& mutable_export() { return export_; }
  BlockStore& store() { return *store_; }

 private:
  test::Cluster& c_;
  std::filesystem::path dir_;
  std::unique_ptr<BlockStore> store_;
  ChainExport export_;
  uint64_t nonce_ = 1;
};

// Five blocks: every common kind, a key added and used in one block, a key revoked and a
// record still signed with it, an empty block, multi-month attestations.
void BuildChain(test::Cluster& c, ChainMaker& m) {
  const PrivateKey& civil = c.issuer(0);
  const PrivateKey& tax = c.issuer(1);
  const PrivateKey& social = c.issuer(2);
  HouseholdDeclaration hd;
  hd.household = SuiteHash(Suite::kEd25519Sha256, AsBytes("household 1"));
  hd.members = {SuiteHash(Suite::kEd25519Sha256, AsBytes("subject 1"))};
  hd.effective_from = 202401;
  m.Commit({m.Sign(hd, civil), m.Attest(tax, 1), m.Attest(tax, 2), m.Attest(tax, 3), m.Attest(social, 1)});

  auto extra = PrivateKey::Generate(Suite::kEd25519Sha256);
  REQUIRE(extra.ok());
  KeyEvent add;
  add.action = KeyAction::kAdd;
  add.agency = Agency::kTax;
  add.key_raw = extra->public_key().raw();
  add.reason = "second feed";
  m.Commit({m.Sign(add, c.node_key(1)), m.Attest(*extra, 4), m.Attest(tax, 5)});

  KeyEvent revoke = add;
  revoke.action = KeyAction::kRevoke;
  revoke.reason = "retired";
  Consent consent;
  consent.household = hd.household;
  consent.form_hash = SuiteHash(Suite::kEd25519Sha256, AsBytes("form"));
  consent.valid_from_ms = c.genesis().genesis_time_ms;
  Enrollment enrol;
  enrol.household = hd.household;
  enrol.programme = Programme::kDibao;
  enrol.first_month = 202402;
  m.Commit({m.Sign(revoke, c.node_key(1)), m.Attest(*extra, 6), m.Sign(consent, civil), m.Sign(enrol, civil)});

  m.Commit({});
  std::vector<Transaction> txs;
  for (int i = 0; i < 20; ++i) txs.push_back(m.Attest(i % 2 ? tax : social, 10 + i, 1 + i % 4));
  m.Commit(std::move(txs));
}

struct Fixture {
  test::Cluster cluster{4, "audit-test"};
  ChainMaker maker{cluster};
  Bytes bytes;
  Fixture() {
    BuildChain(cluster, maker);
    bytes = node::EncodeExport(maker.exported());
  }
};

Status AuditBytes(const node::Genesis& g, const Bytes& b, unsigned threads = 2) {
  return AuditChain(g, b, threads).status();
}

TEST_CASE("audit: a good chain verifies, on one thread and on several") {
  Fixture fx;
  const ChainHead head = fx.maker.store().head();
  for (unsigned threads : {1u, 2u, 5u}) {
    INFO("threads " << threads);
    auto s = AuditChain(fx.cluster.genesis(), fx.bytes, threads);
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    CHECK(s->blocks == 5);
    CHECK(s->transactions == 32);
    CHECK(s->by_kind[0] == 27);  // attestations
    CHECK(s->by_kind[1] == 1);   // household
    CHECK(s->by_kind[2] == 1);   // consent
    CHECK(s->by_kind[3] == 1);   // enrollment
    CHECK(s->by_kind[6] == 2);   // key events
    CHECK(s->revoked_signer == 1);
    CHECK(s->signatures == 32 + 5 * 3);
    CHECK(s->log_size == head.log_size);
    CHECK(s->log_root == head.log_root);
    CHECK(s->index_root == head.index_root);
    CHECK(s->head_hash == head.block_hash);
    CHECK(s->threads == threads);
  }
}

TEST_CASE("audit: the export file round-trips, in memory and on disk") {
  Fixture fx;
  auto back = node::ReadExport(fx.bytes);
  REQUIRE(back.ok());
  CHECK(*back == fx.maker.exported());
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("hearth-audit-" + std::to_string(::getpid()) + ".bin")).string();
  REQUIRE(node::WriteExport(path, fx.maker.exported()).ok());
  auto s = node::AuditChainFile(fx.cluster.genesis(), path, 2);
  INFO(s.status().ToString());
  CHECK(s.ok());
  std::filesystem::remove(path);
  CHECK(node::AuditChainFile(fx.cluster.genesis(), path, 2).status().code() == Code::kNotFound);
}

// Offsets where each record starts, its block's bytes start and its certificate's start.
struct Layout {
  std::vector<size_t> record, block, cert, end;
};
Layout LayoutOf(const ChainExport& e) {
  Layout l;
  size_t off = node::kExportHeaderBytes;
  for (const ExportRecord& r : e.records) {
    l.record.push_back(off);
    l.block.push_back(off + 4);
    l.cert.push_back(off + 8 + r.block.size());
    off += 8 + r.block.size() + r.certificate.size();
    l.end.push_back(off);
  }
  return l;
}

TEST_CASE("audit: a flipped byte anywhere is an error naming where, never a crash") {
  Fixture fx;
  const Layout l = LayoutOf(fx.maker.exported());
  REQUIRE(l.end.back() == fx.bytes.size());
  std::vector<size_t> offsets;
  for (size_t i = 0; i < node::kExportHeaderBytes; ++i) offsets.push_back(i);  // whole header
  for (size_t r = 0; r < l.record.size(); ++r) {
    // Both length prefixes, the block header densely, the transactions and the
    // certificate (votes and signatures) sparsely.
    for (size_t i = 0; i < 4; ++i) offsets.push_back(l.record[r] + i), offsets.push_back(l.cert[r] - 4 + i);
    for (size_t i = l.block[r]; i < l.block[r] + 190; ++i) offsets.push_back(i);
    for (size_t i = l.block[r] + 190; i < l.cert[r] - 4; i += 7) offsets.push_back(i);
    for (size_t i = l.cert[r]; i < l.end[r]; i += 3) offsets.push_back(i);
  }
  size_t checked = 0;
  for (size_t off : offsets) {
    {
      const uint8_t mask = off % 2 ? 0x01 : 0x80;
      Bytes bad = fx.bytes;
      bad[off] ^= mask;
      const Status s = AuditBytes(fx.cluster.genesis(), bad, static_cast<unsigned>(1 + off % 3));
      INFO("offset " << off << " mask " << int(mask) << ": " << s.ToString());
      REQUIRE(s.code() == Code::kVerifyFailed);
      if (off < node::kExportHeaderBytes) {
        CHECK((s.message().rfind("file: ", 0) == 0 || s.message().rfind("height ", 0) == 0));
      } else {
        const size_t r = static_cast<size_t>(std::upper_bound(l.record.begin(), l.record.end(), off) -
                                             l.record.begin()) - 1;
        CHECK(s.message().rfind("height " + std::to_string(r + 1) + ": ", 0) == 0);
      }
      ++checked;
    }
  }
  CHECK(checked > 1000);
}

TEST_CASE("audit: a transaction's bad signature is reported with its height, position and id") {
  Fixture fx;
  auto block = DecodeBlock(fx.maker.exported().records[4].block);
  REQUIRE(block.ok());
  const Transaction& tx = block->txs[7];
  auto at = std::search(fx.bytes.begin(), fx.bytes.end(), tx.signature().begin(), tx.signature().end());
  REQUIRE(at != fx.bytes.end());
  Bytes bad = fx.bytes;
  bad[static_cast<size_t>(at - fx.bytes.begin()) + 10] ^= 0x04;
  const Status s = AuditBytes(fx.cluster.genesis(), bad, 3);
  INFO(s.ToString());
  CHECK(s.code() == Code::kVerifyFailed);
  CHECK(s.message().rfind("height 5: tx 7 (id " + tx.id().Hex().substr(0, 16), 0) == 0);
  CHECK(s.message().find("signature") != std::string::npos);
}

TEST_CASE("audit: truncated files are errors") {
  Fixture fx;
  const Layout l = LayoutOf(fx.maker.exported());
  std::vector<size_t> cuts = {0, 1, 8, 9, 40, node::kExportHeaderBytes - 1, node::kExportHeaderBytes,
                              fx.bytes.size() - 1};
  for (size_t r = 0; r < l.record.size(); ++r) {
    cuts.push_back(l.record[r] + 2);
    cuts.push_back(l.block[r] + 100);
    cuts.push_back(l.cert[r] - 2);
    cuts.push_back(l.cert[r] + 20);
    if (r + 1 < l.record.size()) cuts.push_back(l.end[r]);  // at a record boundary
  }
  for (size_t cut : cuts) {
    Bytes bad(fx.bytes.begin(), fx.bytes.begin() + static_cast<ptrdiff_t>(cut));
    const Status s = AuditBytes(fx.cluster.genesis(), bad);
    INFO("cut at " << cut << ": " << s.ToString());
    CHECK(s.code() == Code::kVerifyFailed);
    CHECK(node::ReadExport(bad).status().code() == Code::kVerifyFailed);
  }
  Bytes longer = fx.bytes;
  longer.push_back(0);
  CHECK(AuditBytes(fx.cluster.genesis(), longer).message().find("after the last record") != std::string::npos);
}

TEST_CASE("audit: another genesis, and an export not starting at height 1, are refused") {
  Fixture fx;
  test::Cluster other(4, "audit-other");
  Status s = AuditBytes(other.genesis(), fx.bytes);
  CHECK(s.code() == Code::kVerifyFailed);
  CHECK(s.message().find("genesis hash") != std::string::npos);
  // A file that claims the other genesis: its first block does not link to it.
  node::Genesis forged = other.genesis();
  forged.hash = fx.cluster.genesis().hash;
  ChainExport e = fx.maker.exported();
  e.genesis_hash = node::GenesisHash(forged);
  s = AuditBytes(forged, node::EncodeExport(e));
  CHECK(s.code() == Code::kVerifyFailed);
  CHECK(s.message().rfind("height 1: ", 0) == 0);

  ChainExport tail = fx.maker.exported();
  tail.first_height = 2;
  tail.records.erase(tail.records.begin());
  s = AuditBytes(fx.cluster.genesis(), node::EncodeExport(tail));
  CHECK(s.message().find("starts at height 2") != std::string::npos);
}

TEST_CASE("audit: well-framed but wrong blocks are caught by the right check") {
  test::Cluster c(4, "audit-wrong");
  ChainMaker m(c);
  m.Commit({m.Attest(c.issuer(1), 1)});
  SECTION("chain rules: a household signed by tax (the store does not judge rules)") {
    HouseholdDeclaration hd;
    hd.household = SuiteHash(Suite::kEd25519Sha256, AsBytes("household 9"));
    hd.members = {SuiteHash(Suite::kEd25519Sha256, AsBytes("subject 9"))};
    hd.effective_from = 202401;
    m.Commit({m.Attest(c.issuer(2), 2), m.Sign(hd, c.issuer(1))});
    const Status s = AuditBytes(c.genesis(), node::EncodeExport(m.exported()));
    INFO(s.ToString());
    CHECK(s.message().rfind("height 2: tx 1 (id ", 0) == 0);
    CHECK(s.message().find("chain rules") != std::string::npos);
  }
  SECTION("an unknown signer key") {
    auto stranger = PrivateKey::Generate(Suite::kEd25519Sha256);
    REQUIRE(stranger.ok());
    m.Commit({m.Attest(*stranger, 3)});
    const Status s = AuditBytes(c.genesis(), node::EncodeExport(m.exported()));
    CHECK(s.message().rfind("height 2: tx 0 (id ", 0) == 0);
    CHECK(s.message().find("unknown signer") != std::string::npos);
  }
  SECTION("header roots that do not match, under a valid certificate") {
    m.Commit({m.Attest(c.issuer(1), 2)});
    for (int field = 0; field < 3; ++field) {
      ChainExport e = m.exported();
      auto b = DecodeBlock(e.records[1].block);
      REQUIRE(b.ok());
      if (field == 0) b->header.index_root.bytes[0] ^= 1;
      if (field == 1) b->header.log_root.bytes[0] ^= 1;
      if (field == 2) b->header.log_size += 1;
      e.records[1] = {EncodeBlock(*b), EncodeCertificate(m.Certify(b->header))};
      const Status s = AuditBytes(c.genesis(), node::EncodeExport(e));
      INFO(s.ToString());
      CHECK(s.message().rfind("height 2: ", 0) == 0);
      const char* want[] = {"index root", "log root", "log size"};
      CHECK(s.message().find(want[field]) != std::string::npos);
    }
  }
  SECTION("a certificate with too few votes, or for another block") {
    m.Commit({m.Attest(c.issuer(1), 2)});
    ChainExport e = m.exported();
    auto b = DecodeBlock(e.records[1].block);
    REQUIRE(b.ok());
    e.records[1].certificate = EncodeCertificate(m.Certify(b->header, 2));
    Status s = AuditBytes(c.genesis(), node::EncodeExport(e));
    INFO(s.ToString());
    CHECK(s.message().rfind("height 2: certificate", 0) == 0);
    e.records[1].certificate = m.exported().records[0].certificate;
    s = AuditBytes(c.genesis(), node::EncodeExport(e));
    CHECK(s.message().rfind("height 2: certificate is for height 1", 0) == 0);
  }
  SECTION("blocks out of order or repeated") {
    m.Commit({m.Attest(c.issuer(1), 2)});
    ChainExport e = m.exported();
    std::swap(e.records[0], e.records[1]);
    Status s = AuditBytes(c.genesis(), node::EncodeExport(e));
    CHECK(s.message().rfind("height 1: header height is 2", 0) == 0);
    e = m.exported();
    e.records[1] = e.records[0];
    s = AuditBytes(c.genesis(), node::EncodeExport(e));
    CHECK(s.message().rfind("height 2: header height is 1", 0) == 0);
  }
}

// Stage 1 (decoding, certificates) runs ahead of stage 2 and signatures run behind it, on
// several threads: whatever finds its problem first, the earliest in the log is reported.
TEST_CASE("audit: with several bad blocks the earliest problem in the log is reported") {
  test::Cluster c(4, "audit-order");
  ChainMaker m(c);
  for (int b = 0; b < 12; ++b) {
    std::vector<Transaction> txs;
    for (int i = 0; i < 40; ++i) txs.push_back(m.Attest(c.issuer(1 + (i % 2)), 100 * b + i));
    m.Commit(std::move(txs));
  }
  const ChainExport good = m.exported();
  // Problems of different stages: a bad signature (found by the pool after stage 2), a
  // certificate with too few votes (stage 1), a block that does not decode (stage 1), a
  // record whose length runs past the end (reading).
  auto bad_signature = [&](ChainExport* e, size_t index, size_t tx) {
    auto b = DecodeBlock(e->records[index].block);
    REQUIRE(b.ok());
    const Bytes sig = b->txs[tx].signature();
    auto at = std::search(e->records[index].block.begin(), e->records[index].block.end(), sig.begin(), sig.end());
    REQUIRE(at != e->records[index].block.end());
    at[5] ^= 0x10;
    return b->txs[tx].id();
  };
  auto weak_certificate = [&](ChainExport* e, size_t index) {
    auto b = DecodeBlock(e->records[index].block);
    REQUIRE(b.ok());
    e->records[index].certificate = EncodeCertificate(m.Certify(b->header, 2));
  };
  for (unsigned threads : {1u, 2u, 4u, 8u}) {
    INFO("threads " << threads);
    {  // two bad signatures: the lower height wins though its block is checked later
      ChainExport e = good;
      const Hash32 id = bad_signature(&e, 3, 39);
      bad_signature(&e, 9, 0);
      const Status s = AuditBytes(c.genesis(), node::EncodeExport(e), threads);
      INFO(s.ToString());
      CHECK(s.message().rfind("height 4: tx 39 (id " + id.Hex().substr(0, 16), 0) == 0);
    }
    {  // a bad signature before a bad certificate found ahead by stage 1
      ChainExport e = good;
      bad_signature(&e, 2, 20);
      weak_certificate(&e, 5);
      const Status s = AuditBytes(c.genesis(), node::EncodeExport(e), threads);
      INFO(s.ToString());
      CHECK(s.message().rfind("height 3: tx 20 ", 0) == 0);
    }
    {  // a bad certificate before a block that does not decode and a bad signature
      ChainExport e = good;
      weak_certificate(&e, 4);
      e.records[6].block[3] ^= 0xff;
      bad_signature(&e, 8, 1);
      const Status s = AuditBytes(c.genesis(), node::EncodeExport(e), threads);
      INFO(s.ToString());
      CHECK(s.message().rfind("height 5: certificate", 0) == 0);
    }
    {  // the certificate of the block before the bad signature's block fails
      ChainExport e = good;
      bad_signature(&e, 7, 5);
      weak_certificate(&e, 6);
      const Status s = AuditBytes(c.genesis(), node::EncodeExport(e), threads);
      INFO(s.ToString());
      CHECK(s.message().rfind("height 7: certificate", 0) == 0);
    }
    {  // a signature fails before a record that cannot be read
      ChainExport e = good;
      bad_signature(&e, 1, 3);
      Bytes bytes = node::EncodeExport(e);
      const Layout l = LayoutOf(e);
      bytes[l.record[10] + 3] = 0x7f;  // block length beyond the maximum
      const Status s = AuditBytes(c.genesis(), bytes, threads);
      INFO(s.ToString());
      CHECK(s.message().rfind("height 2: tx 3 ", 0) == 0);
    }
    {  // the good chain still verifies, with every signature counted once
      auto r = AuditChain(c.genesis(), node::EncodeExport(good), threads);
      REQUIRE(r.ok());
      CHECK(r->transactions == 12 * 40);
      CHECK(r->signatures == 12 * 40 + 12 * 3);
    }
  }
}

TEST_CASE("audit: lying lengths and counts are refused before allocating") {
  Fixture fx;
  Bytes bad = fx.bytes;
  // count = 2^40 - 1 (within kExportBlocksMax but far beyond the bytes).
  for (int i = 0; i < 8; ++i) bad[49 + i] = i < 5 ? 0xff : 0;
  CHECK(node::ReadExport(bad).status().message().find("block count") != std::string::npos);
  bad = fx.bytes;
  const Layout l = LayoutOf(fx.maker.exported());
  bad[l.record[0] + 3] = 0x7f;  // a 2 GB block length
  Status s = AuditBytes(fx.cluster.genesis(), bad);
  CHECK(s.message().rfind("height 1: block: length", 0) == 0);
  CHECK(s.message().find("exceeds the maximum") != std::string::npos);
}

}  // namespace
}  // namespace hearth
