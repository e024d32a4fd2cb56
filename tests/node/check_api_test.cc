// POST /v1/checks and GET /v1/alerts end to end: four in-process nodes (real TLS API with
// bearer tokens, real LevelDB, a pseudonym key outside each data directory) holding a rule
// set from verify::DefaultRuleSets(), two household declarations, their consents, an
// enrollment and twelve months of tax and social-security attestations signed with the
// genesis issuer keys. Asserted over HTTPS: the receipt (verified offline against genesis,
// decision and per-capita figure computed by hand), the access record it names (committed,
// with the right caseworker, household, consent and receipt hash), the same figures from
// another node, every error with its status and JSON body, the alerts route; and that an
// access record acknowledged while nothing can commit is committed after a restart, from the
// outbox.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster_fixture.h"
#include "hearth/api/tokens.h"
#include "hearth/ledger/national_id.h"
#include "hearth/ledger/records.h"
#include "hearth/ledger/transaction.h"
#include "hearth/node/check_api.h"
#include "hearth/node/http_client.h"
#include "hearth/node/tls.h"
#include "hearth/node/trust.h"
#include "hearth/verify/receipt.h"
#include "hearth/verify/rules.h"
#include "check_fixture.h"

using namespace hearth;
using hearth::test::Cluster;
using hearth::test::WaitFor;
using hearth::test::WriteText;
using nlohmann::json;

using namespace check_fixture;

TEST_CASE("POST /v1/checks answers a verifiable receipt and commits its access record, errors are JSON") {
  CheckCluster cc("checkapi");
  cc.StartAll();
  Fixture f = SetUpRecords(cc);
  const std::string& cw = cc.caseworker().token;

  // ---- the check on node 0 ----
  node::HttpReply r = cc.Check(0, cc.CheckBody(f.a, f.a.consent_tx), cw);
  INFO(r.body.substr(0, 400));
  REQUIRE(r.status == 200);
  REQUIRE(verify::VerifyReceipt(r.body, cc.trust()).ok());
  json receipt = json::parse(r.body);
  CHECK(receipt["decision"] == "eligible");
  CHECK(receipt["per_capita_monthly_fen"] == kAPerCapita);
  CHECK(receipt["income_total_fen"] == kAIncomeTotal);
  CHECK(receipt["member_months_counted"] == 24);
  CHECK(receipt["threshold_fen"] == kThresholdFen);
  CHECK(receipt["signer"] == 0);
  CHECK(receipt["chain_id"] == cc.cluster().genesis().chain_id);
  CHECK(receipt["window"]["first"] == kWindowFirst);
  CHECK(receipt["window"]["last"] == kWindowLast);
  CHECK(receipt["request"]["household"] == f.a.id.Hex());
  CHECK(receipt["request"]["as_of"] == kAsOf);
  CHECK(receipt["household"]["consent_tx"] == f.a.consent_tx.Hex());
  CHECK(receipt["household"]["declaration_tx"] == f.a.declaration_tx.Hex());
  {
    std::vector<std::string> subjects;
    for (const auto& s : f.a.subjects) subjects.push_back(s.Hex());
    CHECK(receipt["household"]["members"] == json(subjects));
    CHECK(receipt["request"]["members"] == json(subjects));
  }
  // No raw ID number or case number anywhere in the receipt.
  for (const auto& id : f.a.ids) CHECK(r.body.find(id) == std::string::npos);
  CHECK(r.body.find(f.a.case_number) == std::string::npos);
  // A receipt with one figure changed does not verify, naming the field.
  {
    json tampered = receipt;
    tampered["per_capita_monthly_fen"] = kAPerCapita + 1;
    Status st = verify::VerifyReceipt(tampered.dump(), cc.trust());
    CHECK_FALSE(st.ok());
    CHECK(st.message().find("per_capita_monthly_fen") != std::string::npos);
    verify::Trust other = cc.trust();
    other.chain_id = "another-chain";
    CHECK_FALSE(verify::VerifyReceipt(r.body, other).ok());
  }

  // ---- the access record it names ----
  auto access_it = r.headers.find("hearth-access-record");
  REQUIRE(access_it != r.headers.end());
  const Result<Hash32> access_id = Hash32::FromHex(access_it->second);
  REQUIRE(access_id.ok());
  const Hash32 receipt_hash = verify::ReceiptHash(Suite::kEd25519Sha256, r.body).value();
  {
    std::optional<json> committed = WaitCommittedOverApi(cc, 2, access_id->Hex());  // any node
    REQUIRE(committed.has_value());
    ExpectAccessRecord(*committed, "alice.wang", f.a, f.a.consent_tx, receipt_hash);
    CHECK((*committed)["record"]["signer"] == cc.cluster().node_key(0).public_key().Id().Hex());
  }

  // ---- the same check on another node: same decision and figures ----
  {
    node::HttpReply r3 = cc.Check(3, cc.CheckBody(f.a, f.a.consent_tx), cw);
    INFO(r3.body);
    REQUIRE(r3.status == 200);
    REQUIRE(verify::VerifyReceipt(r3.body, cc.trust()).ok());
    json j3 = json::parse(r3.body);
    CHECK(j3["signer"] == 3);
    for (const char* k : {"decision", "per_capita_monthly_fen", "income_total_fen", "member_months_counted",
                          "threshold_fen", "reasons", "member_months", "conditions", "household", "request"}) {
      INFO(k);
      CHECK(j3[k] == receipt[k]);
    }
    auto it3 = r3.headers.find("hearth-access-record");
    REQUIRE(it3 != r3.headers.end());
    CHECK(it3->second != access_it->second);
    std::optional<json> committed3 = WaitCommittedOverApi(cc, 0, it3->second);
    REQUIRE(committed3.has_value());
    ExpectAccessRecord(*committed3, "alice.wang", f.a, f.a.consent_tx,
                       verify::ReceiptHash(Suite::kEd25519Sha256, r3.body).value());
  }

  // ---- household B: ineligible; the members in another order give the same request ----
  {
    node::HttpReply rb = cc.Check(1, cc.CheckBody(f.b, f.b.consent_tx), cw);
    INFO(rb.body);
    REQUIRE(rb.status == 200);
    REQUIRE(verify::VerifyReceipt(rb.body, cc.trust()).ok());
    json jb = json::parse(rb.body);
    CHECK(jb["decision"] == "ineligible");
    CHECK(jb["per_capita_monthly_fen"] == 200000);
    CHECK(jb["signer"] == 1);
  }
  {
    json body = cc.CheckBody(f.a, f.a.consent_tx);
    body["members"] = json::array({f.a.ids[1], f.a.ids[0]});
    node::HttpReply ro = cc.Check(0, body, cw);
    REQUIRE(ro.status == 200);
    CHECK(json::parse(ro.body)["request"] == receipt["request"]);
  }
  // Valid members that are not the declared ones: a decision (insufficient evidence), not an error.
  {
    json body = cc.CheckBody(f.a, f.a.consent_tx);
    body["members"] = json::array({f.a.ids[0]});
    node::HttpReply rm = cc.Check(0, body, cw);
    INFO(rm.body);
    REQUIRE(rm.status == 200);
    json jm = json::parse(rm.body);
    CHECK(jm["decision"] == "insufficient_evidence");
    bool mismatch = false;
    for (const auto& reason : jm["reasons"]) mismatch = mismatch || reason["code"] == "members_mismatch";
    CHECK(mismatch);
    CHECK(verify::VerifyReceipt(rm.body, cc.trust()).ok());
  }

  // ---- errors ----
  const json good = cc.CheckBody(f.a, f.a.consent_tx);
  {  // authentication and roles
    ExpectJsonError(cc.Check(0, good, std::nullopt), 401);
    ExpectJsonError(cc.Check(0, good, std::string(64, 'a')), 401);
    ExpectJsonError(cc.Check(0, good, cc.agency_principal().token), 403);
    ExpectJsonError(cc.Check(0, good, cc.auditor().token), 403);
  }
  {  // malformed bodies: 400 naming the field
    ExpectJsonError(cc.CheckText(0, "{\"household_case\": ", cw), 400, "malformed JSON");
    ExpectJsonError(cc.CheckText(0, "[1, 2]", cw), 400);
    {
      json b = good;
      b["extra"] = 1;
      ExpectJsonError(cc.Check(0, b, cw), 400, "check.extra");
    }
    {
      json b = good;
      b["as_of"] = std::to_string(kAsOf);
      ExpectJsonError(cc.Check(0, b, cw), 400, "check.as_of");
    }
    {
      json b = good;
      b["as_of"] = 202613;
      ExpectJsonError(cc.Check(0, b, cw), 400, "as_of");
    }
    {
      json b = good;
      b["as_of"] = 2026.5;
      ExpectJsonError(cc.Check(0, b, cw), 400, "check.as_of");
    }
    {
      json b = good;
      b["members"] = json::array({f.a.ids[0], WrongCheckDigit(f.a.ids[1])});
      node::HttpReply e = cc.Check(0, b, cw);
      ExpectJsonError(e, 400, "members[1]");
      // The message never repeats the ID number.
      CHECK(e.body.find(f.a.ids[1].substr(0, 17)) == std::string::npos);
    }
    {
      json b = good;
      b["members"] = json::array({f.a.ids[0], f.a.ids[0]});
      ExpectJsonError(cc.Check(0, b, cw), 400, "twice");
    }
    {
      json b = good;
      b["members"] = json::array();
      ExpectJsonError(cc.Check(0, b, cw), 400, "check.members");
    }
    {
      json b = good;
      b["members"] = json::array({1234});
      ExpectJsonError(cc.Check(0, b, cw), 400, "members[0]");
    }
    {
      json b = good;
      b["program"] = "free_money";
      ExpectJsonError(cc.Check(0, b, cw), 400, "check.program");
    }
    {
      json b = good;  // consent optional: the household's newest valid one (household_api_test)
      b["consent"] = nullptr;
      ExpectJsonError(cc.Check(0, b, cw), 400, "check.consent");
    }
    {
      json b = good;
      b["consent"] = "abc";
      ExpectJsonError(cc.Check(0, b, cw), 400, "check.consent");
    }
    {
      json b = good;
      b["household_case"] = "TZ 0001/evil";
      node::HttpReply e = cc.Check(0, b, cw);
      ExpectJsonError(e, 400, "household_case");
      CHECK(e.body.find("TZ 0001/evil") == std::string::npos);
    }
  }
  {  // a body over the 16 KiB limit is a JSON 400 (the handler's limit; the server's is 128 MiB)
    json b = good;
    b["household_case"] = std::string(node::kCheckBodyBytesMax, 'A');
    ExpectJsonError(cc.Check(0, b, cw), 400, "exceeds");
  }
  {  // unknown household: 404
    json b = good;
    b["household_case"] = "TZ-NEVER-0000009";
    ExpectJsonError(cc.Check(0, b, cw), 404, "household");
  }
  {  // consent of another household, or no such consent: 409
    // NOTE: check_api.h documents "409 consent"; the handler answers error
    // "precondition_failed" (CheckError). Only the status and the message are asserted.
    json b = good;
    b["consent"] = f.b.consent_tx.Hex();
    ExpectJsonError(cc.Check(0, b, cw), 409, "consent");
    b["consent"] = SuiteHash(Suite::kEd25519Sha256, AsBytes("no such consent")).Hex();
    ExpectJsonError(cc.Check(0, b, cw), 409, "consent");
    // The declaration's id is a transaction of this household, but not a Consent.
    b["consent"] = f.a.declaration_tx.Hex();
    ExpectJsonError(cc.Check(0, b, cw), 409, "consent");
    // This household's consent, expired before the checkpoint's block time.
    b["consent"] = f.a_expired_consent.Hex();
    node::HttpReply expired = cc.Check(0, b, cw);
    ExpectJsonError(expired, 409, "consent");
    json je = json::parse(expired.body, nullptr, false);
    CHECK(je.value("error", "") == "consent");
  }
  {  // a programme without a rule set on chain: 409
    json b = good;
    b["program"] = "low_income";
    node::HttpReply nr = cc.Check(0, b, cw);
    ExpectJsonError(nr, 409, "rule set");
    json je = json::parse(nr.body, nullptr, false);
    CHECK(je.value("error", "") == "no_rule_set");
  }
  {  // refused checks make no access record (none is pending once the earlier ones committed)
    REQUIRE(WaitFor([&] { return cc.cluster().node(0).mempool_size() == 0; }, kWait));
    json b = good;
    b["consent"] = f.b.consent_tx.Hex();
    ExpectJsonError(cc.Check(0, b, cw), 409);
    b = good;
    b["household_case"] = "TZ-NEVER-0000009";
    ExpectJsonError(cc.Check(0, b, cw), 404);
    CHECK(cc.cluster().node(0).mempool_size() == 0);
  }
  {  // GET /v1/alerts
    // The watch follows household B (open enrollment) once it has processed the records.
    const uint64_t head = cc.cluster().node(0).store().head().height;
    json j;
    REQUIRE(WaitFor([&] {
      auto a = cc.Call(0, "GET", "/v1/alerts", "", cw);
      if (!a.ok() || a->status != 200) return false;
      j = json::parse(a->body, nullptr, false);
      return j.is_object() && j.contains("processed_height") && j["processed_height"].is_number_unsigned() &&
             j["processed_height"].get<uint64_t>() >= head;
    }, kWait));
    INFO(j.dump());
    REQUIRE(j.contains("alerts"));
    CHECK(j["alerts"].is_array());
    CHECK(j["watched"] == 1);
    // The watch runs at a lower priority than the API and consensus threads (nice 10): one
    // such thread per node of this process.
    size_t niced = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream in(e.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      std::istringstream fields(stat.substr(stat.rfind(')') + 2));
      std::string field;
      for (int i = 3; i <= 19 && fields >> field; ++i) {
        if (i == 19 && field == "10") ++niced;
      }
    }
    CHECK(niced == 4);
    for (const auto& alert : j["alerts"]) {
      CHECK(alert.contains("household"));
      CHECK(alert.contains("old_decision"));
      CHECK(alert.contains("new_decision"));
    }
    auto one = cc.Call(0, "GET", "/v1/alerts?household_case=" + f.b.case_number + "&from_height=0&limit=10", "", cw);
    REQUIRE(one.ok());
    CHECK(one->status == 200);
    json jo = json::parse(one->body, nullptr, false);
    REQUIRE(jo.is_object());
    CHECK(jo["alerts"].is_array());
    for (const auto& alert : jo["alerts"]) CHECK(alert["household"] == f.b.id.Hex());

    auto forbidden = cc.Call(0, "GET", "/v1/alerts", "", cc.agency_principal().token);
    REQUIRE(forbidden.ok());
    ExpectJsonError(*forbidden, 403);
    auto anon = cc.Call(0, "GET", "/v1/alerts", "", std::nullopt);
    REQUIRE(anon.ok());
    ExpectJsonError(*anon, 401);
    for (const char* q : {"?colour=blue", "?limit=0", "?limit=1001", "?from_height=-1", "?household=xyz",
                          "?household_case=bad%20case"}) {
      INFO(q);
      auto bad = cc.Call(0, "GET", std::string("/v1/alerts") + q, "", cw);
      REQUIRE(bad.ok());
      ExpectJsonError(*bad, 400);
    }
  }
}

TEST_CASE("an access record acknowledged while nothing can commit is committed after a restart, from the outbox") {
  CheckCluster cc("checkoutbox");
  cc.StartAll();
  Fixture f = SetUpRecords(cc);
  Cluster& c = cc.cluster();

  // Three of four stopped: node 0 alone can commit nothing, yet the check answers because
  // its access record is durable in the outbox.
  for (size_t i = 1; i < 4; ++i) c.StopNode(i);
  const uint64_t log_size = c.node(0).store().head().log_size;
  node::HttpReply r = cc.Check(0, cc.CheckBody(f.a, f.a.consent_tx), cc.caseworker().token);
  INFO(r.body.substr(0, 400));
  REQUIRE(r.status == 200);
  CHECK(verify::VerifyReceipt(r.body, cc.trust()).ok());
  auto it = r.headers.find("hearth-access-record");
  REQUIRE(it != r.headers.end());
  const Hash32 access = Hash32::FromHex(it->second).value();
  const Hash32 receipt_hash = verify::ReceiptHash(Suite::kEd25519Sha256, r.body).value();
  CHECK(c.node(0).GetTxStatus(access).state == node::TxStatus::State::kPending);
  CHECK(c.node(0).store().head().log_size == log_size);
  const std::string outbox = c.config(0).data_dir + "/outbox.bin";
  REQUIRE(std::filesystem::exists(outbox));
  CHECK(std::filesystem::file_size(outbox) > 0);

  // Node 0 goes down with the record uncommitted (its mempool is lost). The other three
  // come back first and commit nothing of it; then node 0 resubmits it from its outbox.
  c.StopNode(0);
  for (size_t i = 1; i < 4; ++i) REQUIRE(c.StartNode(i).ok());
  for (size_t i = 1; i < 4; ++i) CHECK(c.node(i).GetTxStatus(access).state == node::TxStatus::State::kUnknown);
  REQUIRE(c.StartNode(0).ok());
  REQUIRE(WaitFor([&] {
    for (size_t i = 0; i < 4; ++i) {
      if (c.node(i).GetTxStatus(access).state != node::TxStatus::State::kCommitted) return false;
    }
    return true;
  }, kWait));
  std::optional<json> committed = WaitCommittedOverApi(cc, 1, access.Hex());
  REQUIRE(committed.has_value());
  ExpectAccessRecord(*committed, "alice.wang", f.a, f.a.consent_tx, receipt_hash);
  // Committed once, and the outbox is compacted once it sees the commit.
  CHECK(WaitFor([&] { return std::filesystem::file_size(outbox) == 0; }, kWait));
  // A restart after the compaction leaves nothing to resubmit and the record committed.
  c.StopNode(0);
  REQUIRE(c.StartNode(0).ok());
  CHECK(c.node(0).GetTxStatus(access).state == node::TxStatus::State::kCommitted);
}

// The value on a `name value` line of Prometheus text, or -1 when the line is missing.
static double MetricValue(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

TEST_CASE("access records of checks in a row are gossiped in batches, every one of them, and all commit") {
  CheckCluster cc("checkgossip");
  cc.StartAll();
  Fixture f = SetUpRecords(cc);
  Cluster& c = cc.cluster();
  const std::string before = c.node(0).MetricsText();
  CHECK(MetricValue(before, "hearth_access_gossip_records_total") == 0);
  CHECK(MetricValue(before, "hearth_access_gossip_batches_total") == 0);
  CHECK(MetricValue(before, "hearth_check_cpu_checks_total") == 0);
  CHECK(MetricValue(before, "hearth_check_cpu_seconds_total{phase=\"evidence\"}") == 0);

  constexpr int kChecks = 12;
  std::vector<Hash32> access;
  for (int i = 0; i < kChecks; ++i) {
    node::HttpReply r = cc.Check(0, cc.CheckBody(i % 2 == 0 ? f.a : f.b, i % 2 == 0 ? f.a.consent_tx : f.b.consent_tx),
                                 cc.caseworker().token);
    REQUIRE(r.status == 200);
    auto it = r.headers.find("hearth-access-record");
    REQUIRE(it != r.headers.end());
    access.push_back(Hash32::FromHex(it->second).value());
    // Pending here as soon as the check answers; the peers hear of it with the next batch.
    CHECK(c.node(0).GetTxStatus(access.back()).state != node::TxStatus::State::kUnknown);
  }
  // Every record was gossiped (in at most as many batches as records) ...
  REQUIRE(WaitFor([&] {
    return MetricValue(c.node(0).MetricsText(), "hearth_access_gossip_records_total") == kChecks;
  }, kWait));
  const double batches = MetricValue(c.node(0).MetricsText(), "hearth_access_gossip_batches_total");
  CHECK(batches >= 1);
  CHECK(batches <= kChecks);
  // ... and is committed on every node.
  REQUIRE(WaitFor([&] {
    for (size_t n = 0; n < 4; ++n) {
      for (const Hash32& id : access) {
        if (c.node(n).GetTxStatus(id).state != node::TxStatus::State::kCommitted) return false;
      }
    }
    return true;
  }, kWait));
  // Each check walked the index from its root page: the page cache counted those walks by
  // level, and the database's table reads are exported beside them.
  const std::string after = c.node(0).MetricsText();
  CHECK(MetricValue(after, "hearth_index_page_cache_hits_total{level=\"0\"}") >= kChecks);
  CHECK(MetricValue(after, "hearth_index_page_reads_total{level=\"0\"}") >= 0);
  CHECK(MetricValue(after, "hearth_db_table_reads_total") >= 0);
  CHECK(MetricValue(after, "hearth_db_table_read_bytes_total") >= MetricValue(after, "hearth_db_table_reads_total"));
  // Each answered check's handler CPU, by phase, on the node that answered it only.
  CHECK(MetricValue(after, "hearth_check_cpu_checks_total") == kChecks);
  CHECK(MetricValue(c.node(1).MetricsText(), "hearth_check_cpu_checks_total") == 0);
  for (const char* phase : {"evidence", "inclusion_proofs", "receipt_text", "receipt_signature", "access_record"}) {
    INFO(phase);
    CHECK(MetricValue(after, std::string("hearth_check_cpu_seconds_total{phase=\"") + phase + "\"}") > 0);
  }
  CHECK(MetricValue(after, "hearth_check_cpu_seconds_total{phase=\"other\"}") >= 0);
  // A refused check (a body the server cannot parse) is not counted.
  node::HttpReply bad = cc.Check(0, json{{"household_case", 7}}, cc.caseworker().token);
  CHECK(bad.status == 400);
  CHECK(MetricValue(c.node(0).MetricsText(), "hearth_check_cpu_checks_total") == kChecks);
}
