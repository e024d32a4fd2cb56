// Mempool bounds (count and ChargeOf bytes), HasRoom, never evicting, bookkeeping of bytes
// across commit and drop, Peek's order and budgets; and a node's backpressure: a full pool answers
// retry_later, and the same records are accepted once commits have made room.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "hearth/ledger/crypto.h"
#include "hearth/ledger/transaction.h"
#include "hearth/node/mempool.h"
#include "hearth/node/verified_sigs.h"
#include "node/cluster_fixture.h"

namespace hearth::node {
namespace {

using Insert = Mempool::InsertResult;

const PrivateKey& Key() {
  static const PrivateKey key = PrivateKey::Generate(Suite::kEd25519Sha256).value();
  return key;
}

Transaction Attest(uint64_t k, size_t attributes = 0, const std::string& chain = "hearth-test",
                   const PrivateKey& key = Key()) {
  TxBody body;
  body.suite = Suite::kEd25519Sha256;
  body.chain_id = chain;
  body.issued_at_ms = 1'767'225'600'000ULL + k;
  body.nonce = k;
  Attestation a;
  a.subject = SuiteHash(Suite::kEd25519Sha256, AsBytes("subject-" + std::to_string(k)));
  a.category = Category::kDibaoBenefit;  // civil affairs (member 0 of a test cluster) files it
  a.first_month = 202401;
  a.last_month = 202401;
  a.amount_fen = 250000;
  for (size_t i = 0; i < attributes; ++i) {
    a.attributes.push_back({"k" + std::to_string(100 + i), std::string(40, 'v')});
  }
  body.payload = a;
  auto tx = Transaction::Sign(std::move(body), key);
  REQUIRE(tx.ok());
  return std::move(tx).value();
}

constexpr size_t kRoomy = size_t{1} << 30;
constexpr size_t kSmallestBytes = Mempool::kEntryOverheadBytes + 2 * kTransactionBytesMax;

TEST_CASE("ChargeOf counts the decoded transaction and the entry, not only the encoded bytes") {
  const Transaction small = Attest(1);
  const Transaction large = Attest(2, 8);
  CHECK(Mempool::ChargeOf(small) == Mempool::kEntryOverheadBytes + 2 * small.EncodedSize());
  CHECK(Mempool::ChargeOf(large) == Mempool::kEntryOverheadBytes + 2 * large.EncodedSize());
  CHECK(Mempool::ChargeOf(large) > Mempool::ChargeOf(small));
  CHECK(Mempool::ChargeOf(small) > 3 * small.EncodedSize());
}

TEST_CASE("Mempool is bounded by count: full answers kFull and evicts nothing") {
  Mempool pool(3, kRoomy);
  for (uint64_t k = 0; k < 3; ++k) CHECK(pool.Insert(Attest(k), k) == Insert::kInserted);
  CHECK(pool.Insert(Attest(3), 3) == Insert::kFull);
  CHECK(pool.Insert(Attest(0), 9) == Insert::kDuplicate);  // duplicate before full
  CHECK(pool.size() == 3);
  for (uint64_t k = 0; k < 3; ++k) CHECK(pool.Contains(Attest(k).id()));
  CHECK_FALSE(pool.Contains(Attest(3).id()));

  const Hash32 first = Attest(0).id();
  const std::vector<uint64_t> admitted = pool.RemoveCommitted(std::span<const Hash32>(&first, 1));
  CHECK(admitted == std::vector<uint64_t>{0});
  CHECK(pool.Insert(Attest(3), 3) == Insert::kInserted);
}

TEST_CASE("Mempool is bounded by ChargeOf bytes and keeps its byte total exact") {
  Mempool pool(1'000'000, kSmallestBytes);
  size_t charged = 0, full = 0;
  std::vector<Transaction> pooled;
  for (uint64_t k = 0; k < 400; ++k) {
    const Transaction tx = Attest(k, k % 5);  // mixed sizes
    const Insert r = pool.Insert(tx, k);
    if (r == Insert::kInserted) {
      charged += Mempool::ChargeOf(tx);
      pooled.push_back(tx);
    } else {
      REQUIRE(r == Insert::kFull);
      CHECK(charged + Mempool::ChargeOf(tx) > kSmallestBytes);
      ++full;
    }
    REQUIRE(pool.bytes() == charged);
  }
  CHECK(full > 0);
  CHECK(charged <= kSmallestBytes);
  CHECK(pool.size() == pooled.size());
  // Nothing admitted was evicted.
  for (const Transaction& tx : pooled) CHECK(pool.Contains(tx.id()));

  // Commit and drop give their charge back exactly.
  const Hash32 a = pooled[0].id();
  pool.RemoveCommitted(std::span<const Hash32>(&a, 1));
  charged -= Mempool::ChargeOf(pooled[0]);
  CHECK(pool.bytes() == charged);
  pool.Drop(pooled[1].id(), "key event rejected");
  charged -= Mempool::ChargeOf(pooled[1]);
  CHECK(pool.bytes() == charged);
  CHECK(pool.DropReason(pooled[1].id()) == std::optional<std::string>("key event rejected"));
  CHECK(pool.dropped_total() == 1);
  // Removing what is not pooled changes nothing.
  pool.RemoveCommitted(std::span<const Hash32>(&a, 1));
  pool.Drop(pooled[1].id(), "again");
  CHECK(pool.bytes() == charged);
  CHECK(pool.dropped_total() == 1);
}

TEST_CASE("Mempool byte bound binds before a large count bound") {
  const size_t per = Mempool::ChargeOf(Attest(0, 8));
  const size_t fit = kSmallestBytes / per;
  Mempool pool(1'000'000, kSmallestBytes);
  size_t inserted = 0;
  for (uint64_t k = 0; k < fit + 50; ++k) {
    const Transaction tx = Attest(k, 8);
    REQUIRE(Mempool::ChargeOf(tx) == per);  // same shape, same size
    if (pool.Insert(tx, k) == Insert::kInserted) ++inserted;
  }
  CHECK(inserted == fit);
  CHECK(pool.size() == fit);
  CHECK(pool.bytes() == fit * per);
}

TEST_CASE("Mempool HasRoom answers what Insert would accept, by count and by bytes") {
  const Transaction a = Attest(1), b = Attest(2), c = Attest(3);
  const size_t ca = Mempool::ChargeOf(a), cb = Mempool::ChargeOf(b);
  Mempool pool(2, kSmallestBytes);
  CHECK(pool.HasRoom(0, 0));
  CHECK(pool.HasRoom(2, ca + cb));
  CHECK_FALSE(pool.HasRoom(3, ca + cb));                  // count
  CHECK(pool.HasRoom(1, kSmallestBytes));
  CHECK_FALSE(pool.HasRoom(1, kSmallestBytes + 1));       // bytes
  REQUIRE(pool.Insert(a, 1) == Insert::kInserted);
  CHECK(pool.HasRoom(1, kSmallestBytes - ca));
  CHECK_FALSE(pool.HasRoom(1, kSmallestBytes - ca + 1));
  CHECK_FALSE(pool.HasRoom(2, cb));
  REQUIRE(pool.Insert(b, 2) == Insert::kInserted);
  CHECK_FALSE(pool.HasRoom(1, 0));
  CHECK(pool.Insert(c, 3) == Insert::kFull);
  CHECK(pool.HasRoom(0, 0));
}

TEST_CASE("Mempool Peek: admission order, count and encoded-byte budgets, nothing removed") {
  Mempool pool(100, kRoomy);
  std::vector<Transaction> txs;
  for (uint64_t k = 0; k < 10; ++k) {
    txs.push_back(Attest(k));
    REQUIRE(pool.Insert(txs.back(), k) == Insert::kInserted);
  }
  std::vector<Transaction> got = pool.Peek(4, kRoomy);
  REQUIRE(got.size() == 4);
  for (size_t i = 0; i < 4; ++i) CHECK(got[i] == txs[i]);
  const size_t two = txs[0].EncodedSize() + txs[1].EncodedSize();
  got = pool.Peek(100, two);
  REQUIRE(got.size() == 2);
  got = pool.Peek(100, two - 1);
  CHECK(got.size() == 1);
  CHECK(pool.size() == 10);
}

TEST_CASE("Mempool IsVerified needs the same id and signature") {
  Mempool pool(10, kRoomy);
  const Transaction tx = Attest(1);
  REQUIRE(pool.Insert(tx, 1) == Insert::kInserted);
  CHECK(pool.IsVerified(tx));
  auto other_sig = Transaction::FromParts(tx.body(), Bytes(64, 0x01));
  REQUIRE(other_sig.ok());
  REQUIRE(other_sig->id() == tx.id());
  CHECK_FALSE(pool.IsVerified(*other_sig));
  CHECK_FALSE(pool.IsVerified(Attest(2)));
}

std::vector<Result<Transaction>> Lines(const std::vector<Transaction>& txs) {
  return std::vector<Result<Transaction>>(txs.begin(), txs.end());
}

TEST_CASE("A node with a full mempool answers retry_later, the records are accepted after commits") {
  test::Cluster c(4, "mempool-full");
  for (size_t i = 0; i < 4; ++i) c.config(i).mempool_max = 3;
  // Only node 0 runs: no quorum, so nothing commits while the pool is checked.
  REQUIRE(c.StartNode(0).ok());
  std::vector<Transaction> txs;
  for (uint64_t k = 0; k < 5; ++k) txs.push_back(Attest(k, 0, c.genesis().chain_id, c.issuer(0)));
  std::vector<SubmitOutcome> out = c.node(0).Submit(Lines(txs), std::nullopt);
  REQUIRE(out.size() == 5);
  for (size_t i = 0; i < 3; ++i) CHECK(out[i].kind == SubmitOutcome::Kind::kAccepted);
  for (size_t i = 3; i < 5; ++i) {
    CHECK(out[i].kind == SubmitOutcome::Kind::kRetryLater);
    CHECK(out[i].reason.find("retry later") != std::string::npos);
  }
  CHECK(c.node(0).mempool_size() == 3);
  // A full pool answers before checking signatures: a line with a broken signature is told
  // to retry later, not rejected (it is rejected once there is room, below).
  Bytes broken_bytes = Attest(99, 0, c.genesis().chain_id, c.issuer(0)).Encode();
  broken_bytes.back() ^= 0x01;
  Result<Transaction> broken = Transaction::Decode(broken_bytes);
  REQUIRE(broken.ok());
  out = c.node(0).Submit(Lines({*broken}), std::nullopt);
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == SubmitOutcome::Kind::kRetryLater);

  for (size_t i = 1; i < 4; ++i) REQUIRE(c.StartNode(i).ok());
  REQUIRE(test::WaitFor([&] { return c.node(0).store().head().log_size >= 3; }, std::chrono::seconds(60)));
  REQUIRE(test::WaitFor([&] { return c.node(0).mempool_size() == 0; }, std::chrono::seconds(60)));
  out = c.node(0).Submit(Lines({txs[3], txs[4], *broken}), std::nullopt);
  REQUIRE(out.size() == 3);
  CHECK(out[0].kind == SubmitOutcome::Kind::kAccepted);
  CHECK(out[1].kind == SubmitOutcome::Kind::kAccepted);
  CHECK(out[2].kind == SubmitOutcome::Kind::kRejected);
  CHECK(out[2].reason.find("signature") != std::string::npos);
  REQUIRE(test::WaitFor([&] { return c.node(0).store().head().log_size >= 5; }, std::chrono::seconds(60)));
}

TEST_CASE("A node's mempool_bytes_max bounds admission by charged bytes") {
  test::Cluster c(4, "mempool-bytes");
  c.config(0).mempool_bytes_max = kMempoolBytesMin;
  REQUIRE(c.StartNode(0).ok());  // alone: nothing commits
  const Transaction probe = Attest(0, 8, c.genesis().chain_id, c.issuer(0));
  const size_t fit = kMempoolBytesMin / Mempool::ChargeOf(probe);
  std::vector<Transaction> txs;
  for (uint64_t k = 0; k < fit + 20; ++k) txs.push_back(Attest(k, 8, c.genesis().chain_id, c.issuer(0)));
  std::vector<SubmitOutcome> out = c.node(0).Submit(Lines(txs), std::nullopt);
  size_t accepted = 0, retry = 0;
  for (const SubmitOutcome& o : out) {
    accepted += o.kind == SubmitOutcome::Kind::kAccepted;
    retry += o.kind == SubmitOutcome::Kind::kRetryLater;
  }
  CHECK(accepted == fit);
  CHECK(retry == 20);
  CHECK(c.node(0).mempool_size() == fit);
}

}  // namespace
}  // namespace hearth::node

namespace hearth::node {
namespace {

TEST_CASE("VerifiedSignatures vouches only for the same id and signature, and is bounded") {
  VerifiedSignatures memo(3);
  const Transaction a = Attest(9001), b = Attest(9002), c = Attest(9003), d = Attest(9004);
  CHECK_FALSE(memo.Contains(a));
  memo.Add(a);
  CHECK(memo.Contains(a));
  CHECK_FALSE(memo.Contains(b));
  // The same body (so the same id) with another signature: not vouched for.
  Bytes bytes = a.Encode();
  bytes.back() ^= 0x01;
  Result<Transaction> forged = Transaction::Decode(bytes);
  REQUIRE(forged.ok());
  REQUIRE(forged->id() == a.id());
  REQUIRE(forged->signature() != a.signature());
  CHECK_FALSE(memo.Contains(*forged));
  memo.Add(b);
  memo.Add(c);
  memo.Add(c);  // again: no second entry
  CHECK(memo.size() == 3);
  memo.Add(d);  // the oldest (a) goes
  CHECK(memo.size() == 3);
  CHECK_FALSE(memo.Contains(a));
  CHECK(memo.Contains(b));
  CHECK(memo.Contains(c));
  CHECK(memo.Contains(d));
}

}  // namespace
}  // namespace hearth::node
