// Four in-process nodes over real TLS sockets and LevelDB: admission, gossip, consensus and
// commit agree; duplicates, other agencies' records, bad signatures and other chains are
// answered per line; a stopped node catches up after restart.
#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include "cluster_fixture.h"
#include "hearth/api/http_server.h"
#include "hearth/ledger/transaction.h"
#include "proc_threads.h"

using namespace hearth;
using hearth::test::Cluster;
using hearth::test::WaitFor;

namespace {

Transaction Attest(const Cluster& c, size_t member, uint64_t nonce, std::string chain_id = "") {
  TxBody body;
  body.suite = Suite::kEd25519Sha256;
  body.chain_id = chain_id.empty() ? c.genesis().chain_id : chain_id;
  body.issued_at_ms = 1'767'225'600'000ULL + nonce;
  body.nonce = nonce;
  Attestation a;
  a.subject = SuiteHash(Suite::kEd25519Sha256, AsBytes("subject-" + std::to_string(nonce)));
  a.category = Category::kWage;
  a.first_month = 202501;
  a.last_month = 202501;
  a.amount_fen = static_cast<int64_t>(100000 + nonce);
  body.payload = a;
  auto tx = Transaction::Sign(std::move(body), c.issuer(member));
  HEARTH_CHECK_MSG(tx.ok(), tx.status().ToString().c_str());
  return std::move(tx).value();
}

std::vector<Result<Transaction>> Lines(std::vector<Transaction> txs) {
  std::vector<Result<Transaction>> out;
  for (auto& t : txs) out.emplace_back(std::move(t));
  return out;
}

bool AllAtLogSize(Cluster& c, uint64_t size) {
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c.running(i) || c.node(i).store().head().log_size < size) return false;
  }
  return true;
}

void ExpectSameHeads(Cluster& c) {
  // Heights may differ by empty blocks in flight; compare at the lowest common height.
  uint64_t h = UINT64_MAX;
  for (size_t i = 0; i < c.size(); ++i) h = std::min(h, c.node(i).store().head().height);
  REQUIRE(h > 0);
  auto ref = c.node(0).store().Header(h);
  REQUIRE(ref.ok());
  for (size_t i = 1; i < c.size(); ++i) {
    auto other = c.node(i).store().Header(h);
    REQUIRE(other.ok());
    CHECK(BlockHash(*other) == BlockHash(*ref));
    CHECK(other->log_root == ref->log_root);
    CHECK(other->index_root == ref->index_root);
  }
}

}  // namespace

TEST_CASE("a running node's threads carry the names of their roles") {
  using test::ThreadsByName;
  Cluster c(1, "names");
  REQUIRE(c.StartNode(0).ok());
  auto n = ThreadsByName();
  CHECK(n["core"] == 1);
  CHECK(n["p2p"] == 1);
  CHECK(n["gossip-in"] == 1);
  CHECK(n["watch"] == 1);
  CHECK(n["verify"] == static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  CHECK(n["api-io"] == static_cast<int>(api::HttpServerConfig{}.threads));
  CHECK(n["api-handler"] == static_cast<int>(api::HttpServerConfig{}.handler_threads));
  c.StopNode(0);
  n = ThreadsByName();
  CHECK(n["core"] == 0);
  CHECK(n["api-handler"] == 0);
}

TEST_CASE("four nodes commit the same records in the same order") {
  Cluster c(4);
  for (size_t i = 0; i < 4; ++i) REQUIRE(c.StartNode(i).ok());

  std::vector<Transaction> batch;
  for (uint64_t k = 0; k < 300; ++k) batch.push_back(Attest(c, 1, k));  // tax's issuer
  auto out = c.node(1).Submit(Lines(batch), Agency::kTax);
  REQUIRE(out.size() == 300);
  for (const auto& o : out) REQUIRE(o.kind == node::SubmitOutcome::Kind::kAccepted);

  REQUIRE(WaitFor([&] { return AllAtLogSize(c, 300); }, std::chrono::seconds(60)));
  ExpectSameHeads(c);
  for (size_t i = 0; i < 4; ++i) {
    for (const auto& tx : batch) {
      auto st = c.node(i).GetTxStatus(tx.id());
      REQUIRE(st.state == node::TxStatus::State::kCommitted);
    }
  }

  SECTION("a resubmitted bulk answers duplicate for every line, on any node") {
    auto again = c.node(2).Submit(Lines(batch), Agency::kTax);
    for (const auto& o : again) CHECK(o.kind == node::SubmitOutcome::Kind::kDuplicate);
  }

  SECTION("bad lines are rejected with a reason while the good ones of the bulk are accepted") {
    std::vector<Result<Transaction>> lines;
    lines.emplace_back(Attest(c, 1, 1000));                              // good
    lines.emplace_back(Attest(c, 0, 1001));                              // civil affairs' key
    lines.emplace_back(Attest(c, 1, 1002, "other-chain"));               // other chain
    lines.emplace_back(Status::InvalidArgument("line 4: malformed JSON"));  // parse error
    {
      Transaction t = Attest(c, 1, 1003);
      Bytes sig = t.signature();
      sig[5] ^= 1;
      lines.emplace_back(Transaction::FromParts(t.body(), sig));        // bad signature
    }
    {
      auto stranger = PrivateKey::Generate(Suite::kEd25519Sha256).value();
      TxBody b = Attest(c, 1, 1004).body();
      lines.emplace_back(Transaction::Sign(b, stranger));                // unknown key
    }
    lines.emplace_back(Attest(c, 1, 1005));                              // good
    auto res = c.node(1).Submit(std::move(lines), Agency::kTax);
    REQUIRE(res.size() == 7);
    CHECK(res[0].kind == node::SubmitOutcome::Kind::kAccepted);
    CHECK(res[1].kind == node::SubmitOutcome::Kind::kRejected);
    CHECK(res[1].reason.find("forbidden") != std::string::npos);
    CHECK(res[2].kind == node::SubmitOutcome::Kind::kRejected);
    CHECK(res[2].reason.find("chain id") != std::string::npos);
    CHECK(res[3].kind == node::SubmitOutcome::Kind::kRejected);
    CHECK(res[3].reason.find("malformed") != std::string::npos);
    CHECK(res[4].kind == node::SubmitOutcome::Kind::kRejected);
    CHECK(res[4].reason.find("signature") != std::string::npos);
    CHECK(res[5].kind == node::SubmitOutcome::Kind::kRejected);
    CHECK(res[5].reason.find("unknown signer key") != std::string::npos);
    CHECK(res[6].kind == node::SubmitOutcome::Kind::kAccepted);
    REQUIRE(WaitFor([&] { return AllAtLogSize(c, 302); }, std::chrono::seconds(60)));
    for (size_t i = 0; i < 4; ++i) CHECK(c.node(i).store().head().log_size >= 302);
  }

  SECTION("a stopped node misses blocks and catches up after restart") {
    c.StopNode(3);
    std::vector<Transaction> more;
    for (uint64_t k = 2000; k < 2100; ++k) more.push_back(Attest(c, 0, k));
    auto res = c.node(0).Submit(Lines(more), Agency::kCivilAffairs);
    for (const auto& o : res) REQUIRE(o.kind == node::SubmitOutcome::Kind::kAccepted);
    // Three of four (2f+1) keep committing.
    REQUIRE(WaitFor([&] {
      for (size_t i = 0; i < 3; ++i) {
        if (c.node(i).store().head().log_size < 400) return false;
      }
      return true;
    }, std::chrono::seconds(60)));
    REQUIRE(c.StartNode(3).ok());
    REQUIRE(WaitFor([&] { return AllAtLogSize(c, 400); }, std::chrono::seconds(60)));
    ExpectSameHeads(c);
  }
}
