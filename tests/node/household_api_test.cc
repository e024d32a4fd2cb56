// The caseworker, auditor, civil-affairs and admin routes (node/household_api.h) over HTTPS on
// four in-process nodes (check_fixture.h): docs/openapi.yaml against the routes the node
// registers, every route x every role (401 / 403 / allowed) with refusals counted in
// /metrics, whoami, programs, receipt verification (valid, changed, not JSON), household
// history (figures, corrections, consent choice, every error, the access record it leaves
// and its hash), the access log with inclusion proofs checked against the log root, consents
// and enrollments (accepted, duplicate, wrong agency, wrong kind, bad signature, unknown
// household, expired, malformed), a check without a consent, and tokens issued and revoked by
// an admin, kept across a restart.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "check_fixture.h"
#include "cluster_fixture.h"
#include "hearth/api/record_json.h"
#include "hearth/ledger/merkle.h"
#include "hearth/node/household_api.h"

using namespace check_fixture;

namespace {

const std::vector<std::string> kRoles = {"agency", "caseworker", "auditor", "admin"};

struct Operation {
  std::string method;  // upper case
  std::string path;
  std::set<std::string> roles;  // empty: open
};

// docs/openapi.yaml read with the line discipline its header comment states.
std::vector<Operation> ReadOpenApi() {
  std::ifstream in(std::string(HEARTH_SOURCE_DIR) + "/docs/openapi.yaml");
  REQUIRE(in.good());
  std::vector<Operation> ops;
  std::string line, path;
  bool in_paths = false;
  const std::regex path_re(R"(^  (/[^:]*):\s*$)");
  const std::regex op_re(R"(^    (get|post|delete|put|patch):\s*$)");
  const std::regex roles_re(R"(^      x-hearth-roles: \[(.*)\]\s*$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (std::regex_match(line, m, path_re)) {
      path = m[1];
    } else if (std::regex_match(line, m, op_re)) {
      std::string method = m[1];
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      ops.push_back({method, path, {}});
      ops.back().roles.insert("?");  // until its x-hearth-roles line is seen
    } else if (std::regex_match(line, m, roles_re)) {
      REQUIRE(!ops.empty());
      ops.back().roles.clear();
      std::stringstream ss(m[1]);
      std::string role;
      while (std::getline(ss, role, ',')) {
        role.erase(0, role.find_first_not_of(' '));
        role.erase(role.find_last_not_of(' ') + 1);
        if (!role.empty()) ops.back().roles.insert(role);
      }
    }
  }
  for (const Operation& op : ops) {
    INFO(op.method << " " << op.path);
    CHECK(op.roles.count("?") == 0);  // every operation states its roles
  }
  return ops;
}

// A concrete target for a route pattern.
std::string Concrete(const std::string& pattern) {
  std::string out = pattern;
  const std::map<std::string, std::string> fill = {
      {"{id}", std::string(64, 'a')}, {"{height}", "1"}, {"{case}", "TZ-CHECK-0000001"},
      {"{principal}", "nobody-here"}, {"{file}", "app.js"}};
  for (const auto& [k, v] : fill) {
    const size_t at = out.find(k);
    if (at != std::string::npos) out.replace(at, k.size(), v);
  }
  return out;
}

json Body(const node::HttpReply& r) {
  json j = json::parse(r.body, nullptr, false);
  INFO(r.status << " " << r.body.substr(0, 600));
  REQUIRE(!j.is_discarded());
  return j;
}

// The count of hearth_api_refusals_total{route=..., reason=...} in /metrics text.
uint64_t RefusalCount(const std::string& metrics, const std::string& route, const std::string& reason) {
  const std::string key = "hearth_api_refusals_total{route=\"" + route + "\",reason=\"" + reason + "\"} ";
  const size_t at = metrics.find(key);
  if (at == std::string::npos) return 0;
  return std::stoull(metrics.substr(at + key.size()));
}

}  // namespace

TEST_CASE("caseworker, auditor, civil-affairs and admin routes over HTTPS") {
  CheckCluster cc("householdapi");
  cc.StartAll();
  Fixture f = SetUpRecords(cc);
  const std::map<std::string, std::string> token_of = {{"agency", cc.civil_system().token},  // civil affairs: may file consents
                                                        {"caseworker", cc.caseworker().token},
                                                        {"auditor", cc.auditor().token},
                                                        {"admin", cc.admin().token}};
  auto call = [&](size_t i, const std::string& method, const std::string& target, const std::string& body,
                  const std::optional<std::string>& token) {
    Result<node::HttpReply> r = cc.Call(i, method, target, body, token);
    INFO(method << " " << target << ": " << r.status().ToString());
    REQUIRE(r.ok());
    return std::move(r).value();
  };

  SECTION("docs/openapi.yaml lists exactly the registered routes, and each route admits exactly its roles") {
    const std::vector<Operation> ops = ReadOpenApi();
    std::set<std::pair<std::string, std::string>> documented, registered;
    for (const Operation& op : ops) documented.insert({op.method, op.path});
    for (const auto& r : cc.cluster().node(0).ApiRoutes()) registered.insert(r);
    for (const auto& r : registered) {
      INFO("registered but not in docs/openapi.yaml: " << r.first << " " << r.second);
      CHECK(documented.count(r) == 1);
    }
    for (const auto& d : documented) {
      INFO("in docs/openapi.yaml but not registered: " << d.first << " " << d.second);
      CHECK(registered.count(d) == 1);
    }
    const std::string before = call(0, "GET", "/metrics", "", std::nullopt).body;
    size_t guarded = 0;
    for (const Operation& op : ops) {
      const std::string target = Concrete(op.path);
      INFO(op.method << " " << target);
      if (op.roles.empty()) {
        const node::HttpReply r = call(0, op.method, target, "", std::nullopt);
        CHECK(r.status != 401);
        CHECK(r.status != 403);
        continue;
      }
      ++guarded;
      ExpectJsonError(call(0, op.method, target, "", std::nullopt), 401);
      ExpectJsonError(call(0, op.method, target, "", std::string(64, '0')), 401);
      const node::HttpReply expired = call(0, op.method, target, "", cc.expired().token);
      ExpectJsonError(expired, 401);
      CHECK(Body(expired)["error"] == "token_expired");
      for (const std::string& role : kRoles) {
        INFO("role " << role);
        const node::HttpReply r = call(0, op.method, target, "", token_of.at(role));
        if (op.roles.count(role)) {
          CHECK(r.status != 401);
          CHECK(r.status != 403);
          CHECK(r.status < 500);
        } else {
          ExpectJsonError(r, 403);
          CHECK(Body(r)["error"] == "forbidden");
        }
      }
    }
    CHECK(guarded >= 18);
    // Refusals are counted by route and reason.
    const std::string after = call(0, "GET", "/metrics", "", std::nullopt).body;
    CHECK(RefusalCount(after, "/v1/access-log", "forbidden") - RefusalCount(before, "/v1/access-log", "forbidden") == 3);
    CHECK(RefusalCount(after, "/v1/access-log", "unauthenticated") -
              RefusalCount(before, "/v1/access-log", "unauthenticated") == 2);
    CHECK(RefusalCount(after, "/v1/access-log", "expired") - RefusalCount(before, "/v1/access-log", "expired") == 1);
  }

  SECTION("whoami and programs") {
    json who = Body(call(1, "GET", "/v1/whoami", "", cc.caseworker().token));
    CHECK(who["principal"] == cc.caseworker().name);
    CHECK(who["role"] == "caseworker");
    CHECK(who["agency"] == "civil_affairs");
    CHECK(who["expires_ms"] == 4'102'444'800'000ULL);
    json auditor = Body(call(1, "GET", "/v1/whoami", "", cc.auditor().token));
    CHECK(auditor["role"] == "auditor");
    CHECK_FALSE(auditor.contains("agency"));
    json programs = Body(call(0, "GET", "/v1/programs", "", cc.auditor().token));
    REQUIRE(programs["programs"].size() == 1);  // the fixture puts only dibao's rule set on chain
    CHECK(programs["programs"][0]["code"] == "dibao");
    CHECK(programs["programs"][0]["title_zh"] == "最低生活保障");
    CHECK(programs["programs"][0]["version"] == 1);
  }

  SECTION("receipts/verify, a check without a consent, history, access log") {
    const std::string& cw = cc.caseworker().token;
    // A check without "consent": the node relies on A's newest consent valid now, which is
    // the open-ended one (the later one expired an hour after genesis).
    json body = cc.CheckBody(f.a, f.a.consent_tx);
    body.erase("consent");
    node::HttpReply checked = cc.Check(0, body, cw);
    REQUIRE(checked.status == 200);
    json receipt = Body(checked);
    CHECK(receipt["household"]["consent_tx"] == f.a.consent_tx.Hex());
    CHECK(receipt["decision"] == "eligible");
    // ... and a household with no valid consent at all is a 409.
    {
      Household c = cc.MakeHousehold("TZ-CHECK-0000003", {MakeId("19900303", "046")});
      std::vector<Transaction> txs;
      HouseholdDeclaration d;
      d.household = c.id;
      d.members = c.subjects;
      d.effective_from = 202401;
      txs.push_back(cc.Sign(0, d));
      cc.SubmitAndWait(txs);
      json cb{{"household_case", c.case_number}, {"members", c.ids}, {"program", "dibao"}, {"as_of", kAsOf}};
      node::HttpReply r = cc.Check(0, cb, cw);
      ExpectJsonError(r, 409, "no consent valid");
      CHECK(Body(r)["error"] == "consent");
      json unknown{{"household_case", "TZ-NOBODY-0000009"}, {"members", c.ids}, {"program", "dibao"}, {"as_of", kAsOf}};
      ExpectJsonError(cc.Check(0, unknown, cw), 404);
    }

    // receipts/verify on another node, by an auditor; then a changed copy; then not JSON.
    json v = Body(call(2, "POST", "/v1/receipts/verify", checked.body, cc.auditor().token));
    CHECK(v["valid"] == true);
    CHECK(v["decision"] == "eligible");
    CHECK(v["household"] == f.a.id.Hex());
    CHECK(v["program"] == "dibao");
    CHECK(v["as_of"] == kAsOf);
    CHECK(v["signer"] == cc.cluster().genesis().members[0].name);
    CHECK(v["receipt_hash"] == verify::ReceiptHash(Suite::kEd25519Sha256, checked.body).value().Hex());
    json changed = receipt;
    changed["per_capita_monthly_fen"] = kAPerCapita - 1;
    json bad = Body(call(2, "POST", "/v1/receipts/verify", changed.dump(), cc.agency_principal().token));
    CHECK(bad["valid"] == false);
    CHECK(bad["reason"].get<std::string>().find("receipt") != std::string::npos);
    json dropped = receipt;
    dropped["evidence"].erase(dropped["evidence"].size() - 1);
    CHECK(Body(call(2, "POST", "/v1/receipts/verify", dropped.dump(), cc.admin().token))["valid"] == false);
    ExpectJsonError(call(2, "POST", "/v1/receipts/verify", "{not json", cw), 400);
    ExpectJsonError(call(2, "POST", "/v1/receipts/verify", "[1,2]", cw), 400);

    // History of A over the window: two members each month, 250001 fen counted a month.
    const std::string hist = "/v1/households/" + f.a.case_number + "/history";
    node::HttpReply h = call(1, "GET", hist + "?from=" + std::to_string(kWindowFirst) + "&to=" + std::to_string(kWindowLast), "", cw);
    REQUIRE(h.status == 200);
    json hj = Body(h);
    CHECK(hj["household"] == f.a.id.Hex());
    CHECK(hj["consent_tx"] == f.a.consent_tx.Hex());
    REQUIRE(hj["months"].size() == 12);
    for (const json& m : hj["months"]) {
      INFO(m.dump());
      CHECK(m["members"].size() == 2);
      CHECK(m["income"].size() == 4);  // wage and pension of each member, zeros included
      CHECK(m["total_fen"] == 250001);
      for (const json& e : m["income"]) {
        CHECK(((e["agency"] == "tax" && e["category"] == "wage") ||
               (e["agency"] == "social_security" && e["category"] == "pension")));
        CHECK(e["class"] == "income");
      }
    }
    // Months before the declaration's effective month have no members.
    json early = Body(call(1, "GET", hist + "?from=202311&to=202402", "", cw));
    REQUIRE(early["months"].size() == 4);
    CHECK(early["months"][0]["members"].empty());
    CHECK(early["months"][2]["members"].size() == 2);
    // The access record names the exact bytes answered.
    std::string access_id;
    for (const auto& [k, val] : h.headers) {
      if (k == "hearth-access-record") access_id = val;
    }
    REQUIRE(access_id.size() == 64);
    std::optional<json> committed = WaitCommittedOverApi(cc, 1, access_id);
    REQUIRE(committed.has_value());
    const json& rec = (*committed)["record"];
    CHECK(rec["purpose"] == "history_read");
    CHECK(rec["caseworker"] == cc.caseworker().name);
    CHECK(rec["household"] == f.a.id.Hex());
    CHECK(rec["receipt_hash"] == SuiteHash(Suite::kEd25519Sha256, AsBytes(h.body)).Hex());

    // A correction by the same agency replaces the corrected figure in history.
    {
      const PseudonymKey& pkey = cc.pseudonym_key();
      const Hash32 a_first = SubjectId(Suite::kEd25519Sha256, pkey, f.a.ids[1]).value();
      Attestation corr;
      corr.subject = a_first;
      corr.category = Category::kWage;
      corr.first_month = kWindowFirst;
      corr.last_month = kWindowLast;
      corr.amount_fen = 100001;
      corr.supersedes = f.txs[f.txs.size() - 6].id();  // the 200001 wage of a_first (SetUpRecords order)
      REQUIRE(PayloadAs<Attestation>(f.txs[f.txs.size() - 6]).amount_fen == 200001);
      std::vector<Transaction> txs{cc.Sign(1, corr)};
      cc.SubmitAndWait(txs);
      json after = Body(call(1, "GET", hist + "?from=202509&to=202509", "", cw));
      CHECK(after["months"][0]["total_fen"] == 150001);
      CHECK(after["months"][0]["income"].size() == 4);
    }

    // History errors.
    ExpectJsonError(call(1, "GET", hist + "?from=202509", "", cw), 400, "required");
    ExpectJsonError(call(1, "GET", hist + "?from=202510&to=202509", "", cw), 400, "after");
    ExpectJsonError(call(1, "GET", hist + "?from=202513&to=202601", "", cw), 400, "from");
    ExpectJsonError(call(1, "GET", hist + "?from=20250&to=202601", "", cw), 400, "from");
    ExpectJsonError(call(1, "GET", hist + "?from=201001&to=202601", "", cw), 400, "at most");
    ExpectJsonError(call(1, "GET", hist + "?from=202501&to=202501&color=red", "", cw), 400, "color");
    ExpectJsonError(call(1, "GET", hist + "?from=202501&to=202501&program=pension", "", cw), 400, "program");
    ExpectJsonError(call(1, "GET", "/v1/households/TZ-NOBODY-0000009/history?from=202501&to=202501", "", cw), 404);
    ExpectJsonError(call(1, "GET", hist + "?from=202501&to=202501&consent=" + f.a_expired_consent.Hex(), "", cw), 409,
                    "not valid");
    ExpectJsonError(call(1, "GET", hist + "?from=202501&to=202501&consent=" + f.b.consent_tx.Hex(), "", cw), 409,
                    "not a consent filed");
    ExpectJsonError(call(1, "GET", hist + "?from=202501&to=202501&consent=xyz", "", cw), 400, "consent");

    // Access log: the check on node 0 and the history reads on node 1, with proofs.
    REQUIRE(WaitFor([&] {
      json log = Body(call(3, "GET", "/v1/access-log?household_case=" + f.a.case_number, "", cc.auditor().token));
      return log["records"].size() >= 4;  // the check and three history reads
    }, kWait));
    json log = Body(call(3, "GET", "/v1/access-log?household_case=" + f.a.case_number, "", cc.auditor().token));
    CHECK(log["household"] == f.a.id.Hex());
    const Hash32 root = Hash32::FromHex(log["checkpoint"]["log_root"].get<std::string>()).value();
    const uint64_t size = log["checkpoint"]["log_size"];
    std::set<std::string> purposes;
    bool found_history = false;
    for (const json& r : log["records"]) {
      INFO(r.dump());
      purposes.insert(r["purpose"]);
      CHECK(r["caseworker"] == cc.caseworker().name);
      std::set<std::string> node_keys;
      for (const auto& m : cc.cluster().genesis().members) node_keys.insert(m.node_key.Id().Hex());
      CHECK(node_keys.count(r["signer"].get<std::string>()) == 1);
      const Transaction tx = Transaction::Decode(FromHex(r["tx_hex"].get<std::string>()).value()).value();
      CHECK(tx.id().Hex() == r["id"]);
      std::vector<Hash32> proof;
      for (const json& p : r["inclusion_proof"]) proof.push_back(Hash32::FromHex(p.get<std::string>()).value());
      const Hash32 id = Hash32::FromHex(r["id"].get<std::string>()).value();
      CHECK(merkle::VerifyInclusion(Suite::kEd25519Sha256, merkle::LeafHash(Suite::kEd25519Sha256, id.view()),
                                    r["log_index"], size, root, proof)
                .ok());
      // A changed id does not verify.
      Hash32 other = id;
      other.bytes[0] ^= 1;
      CHECK_FALSE(merkle::VerifyInclusion(Suite::kEd25519Sha256, merkle::LeafHash(Suite::kEd25519Sha256, other.view()),
                                          r["log_index"], size, root, proof)
                      .ok());
      if (r["id"] == access_id) found_history = true;
    }
    CHECK(found_history);
    CHECK(purposes == std::set<std::string>{"eligibility_check", "history_read"});
    // The same by household id; month filters; errors.
    json by_id = Body(call(3, "GET", "/v1/access-log?household=" + f.a.id.Hex(), "", cc.auditor().token));
    CHECK(by_id["records"].size() == log["records"].size());
    json none = Body(call(3, "GET", "/v1/access-log?household=" + f.a.id.Hex() + "&to=201001", "", cc.auditor().token));
    CHECK(none["records"].empty());
    json limited = Body(call(3, "GET", "/v1/access-log?household=" + f.a.id.Hex() + "&limit=1", "", cc.auditor().token));
    CHECK(limited["records"].size() == 1);
    CHECK(limited["truncated"] == true);
    ExpectJsonError(call(3, "GET", "/v1/access-log", "", cc.auditor().token), 400, "required");
    ExpectJsonError(call(3, "GET", "/v1/access-log?household=abc", "", cc.auditor().token), 400, "household");
    ExpectJsonError(call(3, "GET", "/v1/access-log?household=" + f.a.id.Hex() + "&household_case=" + f.a.case_number, "",
                         cc.auditor().token),
                    400, "not both");
    ExpectJsonError(call(3, "GET", "/v1/access-log?household=" + f.a.id.Hex() + "&limit=0", "", cc.auditor().token), 400,
                    "limit");
    ExpectJsonError(call(3, "GET", "/v1/access-log?household=" + f.a.id.Hex() + "&from=202613", "", cc.auditor().token),
                    400, "from");
  }

  SECTION("consents and enrollments from civil affairs systems") {
    const std::string& civil = cc.civil_system().token;
    Consent k;
    k.household = f.b.id;
    k.form_hash = SuiteHash(Suite::kEd25519Sha256, AsBytes("a renewed form"));
    k.valid_from_ms = cc.cluster().genesis().genesis_time_ms;
    const Transaction consent = cc.Sign(0, k);
    const std::string consent_json = api::TransactionToJson(consent).dump();
    node::HttpReply r = call(0, "POST", "/v1/consents", consent_json, civil);
    INFO(r.body);
    CHECK(r.status == 201);
    CHECK(Body(r)["id"] == consent.id().Hex());
    CHECK(call(0, "POST", "/v1/consents", consent_json, civil).status == 200);  // duplicate
    // The tax system may not file a consent, even a correctly signed one.
    ExpectJsonError(call(0, "POST", "/v1/consents", consent_json, cc.agency_principal().token), 403, "civil affairs");
    // An enrollment sent to /v1/consents, and the other way round.
    Enrollment e;
    e.household = f.a.id;
    e.programme = Programme::kDibao;
    e.first_month = 202601;
    const Transaction enrollment = cc.Sign(0, e);
    const std::string enrollment_json = api::TransactionToJson(enrollment).dump();
    ExpectJsonError(call(0, "POST", "/v1/consents", enrollment_json, civil), 400, "expected consent");
    ExpectJsonError(call(0, "POST", "/v1/enrollments", consent_json, civil), 400, "expected enrollment");
    CHECK(call(0, "POST", "/v1/enrollments", enrollment_json, civil).status == 201);
    // Signed by a tax issuer key: the node's chain rules refuse it for this principal.
    Enrollment e2 = e;
    e2.first_month = 202602;
    const Transaction wrong_signer = cc.Sign(1, e2);
    node::HttpReply ws = call(0, "POST", "/v1/enrollments", api::TransactionToJson(wrong_signer).dump(), civil);
    CHECK((ws.status == 403 || ws.status == 422));
    CHECK(Body(ws)["result"] == "rejected");
    // A changed signature.
    json tampered = api::TransactionToJson(cc.Sign(0, Enrollment{f.a.id, Programme::kTekun, 202601, std::nullopt}));
    std::string sig = tampered["signature"];
    sig[0] = sig[0] == '0' ? '1' : '0';
    tampered["signature"] = sig;
    node::HttpReply ts = call(0, "POST", "/v1/enrollments", tampered.dump(), civil);
    CHECK(ts.status == 422);
    CHECK(Body(ts)["result"] == "rejected");
    // Unknown household, an expired consent, malformed bodies.
    Consent stranger = k;
    stranger.household = SuiteHash(Suite::kEd25519Sha256, AsBytes("nobody"));
    ExpectJsonError(call(0, "POST", "/v1/consents", api::TransactionToJson(cc.Sign(0, stranger)).dump(), civil), 404);
    Consent old = k;
    old.valid_until_ms = cc.cluster().genesis().genesis_time_ms + 1;
    ExpectJsonError(call(0, "POST", "/v1/consents", api::TransactionToJson(cc.Sign(0, old)).dump(), civil), 400,
                    "valid_until_ms");
    ExpectJsonError(call(0, "POST", "/v1/consents", "{\"kind\": \"consent\"", civil), 400);
    ExpectJsonError(call(0, "POST", "/v1/consents", "", civil), 400, "empty");
    ExpectJsonError(call(0, "POST", "/v1/consents", consent_json + "\n" + consent_json, civil), 400, "one record");
    json extra = json::parse(consent_json);
    extra["colour"] = "red";
    ExpectJsonError(call(0, "POST", "/v1/consents", extra.dump(), civil), 400, "colour");
    // The accepted ones commit; nothing refused reached the chain.
    REQUIRE(WaitCommittedOverApi(cc, 2, consent.id().Hex()).has_value());
    REQUIRE(WaitCommittedOverApi(cc, 2, enrollment.id().Hex()).has_value());
    CHECK(cc.cluster().node(0).GetTxStatus(wrong_signer.id()).state != node::TxStatus::State::kCommitted);
  }

  SECTION("tokens issued and revoked by an admin, kept across a restart") {
    const std::string& admin = cc.admin().token;
    json listed = Body(call(0, "GET", "/v1/tokens", "", admin));
    std::set<std::string> names;
    for (const json& p : listed["principals"]) {
      names.insert(p["principal"]);
      CHECK(p["source"] == "config");
      CHECK_FALSE(p.contains("token_sha256"));
    }
    CHECK(names.count("alice.wang") == 1);
    node::HttpReply issued = call(0, "POST", "/v1/tokens",
                                  json{{"principal", "bob.li"}, {"role", "caseworker"}, {"agency", "civil_affairs"}, {"ttl_days", 30}}.dump(),
                                  admin);
    REQUIRE(issued.status == 201);
    const std::string bob = Body(issued)["token"];
    CHECK(bob.size() == 64);
    CHECK(Body(call(0, "GET", "/v1/whoami", "", bob))["principal"] == "bob.li");
    ExpectJsonError(call(1, "GET", "/v1/whoami", "", bob), 401);  // issued on node 0 only
    // Errors.
    ExpectJsonError(call(0, "POST", "/v1/tokens",
                         json{{"principal", "bob.li"}, {"role", "auditor"}, {"ttl_days", 1}}.dump(), admin), 409);
    ExpectJsonError(call(0, "POST", "/v1/tokens", json{{"principal", "x"}, {"role", "boss"}, {"ttl_days", 1}}.dump(), admin),
                    400, "role");
    ExpectJsonError(call(0, "POST", "/v1/tokens",
                         json{{"principal", "x"}, {"role", "caseworker"}, {"ttl_days", 1}}.dump(), admin), 400, "agency");
    ExpectJsonError(call(0, "POST", "/v1/tokens", json{{"principal", "x"}, {"role", "auditor"}, {"ttl_days", 0}}.dump(), admin),
                    400, "ttl_days");
    ExpectJsonError(call(0, "POST", "/v1/tokens",
                         json{{"principal", "x y"}, {"role", "auditor"}, {"ttl_days", 1}}.dump(), admin), 400, "principal");
    ExpectJsonError(call(0, "POST", "/v1/tokens", "{\"principal\": \"x\", \"role\": \"auditor\", \"ttl_days\": 1.5}", admin),
                    400, "ttl_days");
    ExpectJsonError(call(0, "DELETE", "/v1/tokens/nobody-here", "", admin), 404);
    ExpectJsonError(call(0, "DELETE", "/v1/tokens/root", "", admin), 409);
    // Revoke a node.json principal (the tax system) on node 0.
    CHECK(call(0, "DELETE", "/v1/tokens/tax", "", admin).status == 200);
    ExpectJsonError(call(0, "GET", "/v1/whoami", "", cc.agency_principal().token), 401);
    CHECK(call(1, "GET", "/v1/whoami", "", cc.agency_principal().token).status == 200);
    // Restart node 0: bob's token still works, tax's is still refused.
    cc.cluster().StopNode(0);
    REQUIRE(cc.cluster().StartNode(0).ok());
    CHECK(call(0, "GET", "/v1/whoami", "", bob).status == 200);
    ExpectJsonError(call(0, "GET", "/v1/whoami", "", cc.agency_principal().token), 401);
    json after = Body(call(0, "GET", "/v1/tokens", "", admin));
    bool bob_listed = false;
    for (const json& p : after["principals"]) {
      CHECK(p["principal"] != "tax");
      if (p["principal"] == "bob.li") {
        bob_listed = true;
        CHECK(p["source"] == "issued");
      }
    }
    CHECK(bob_listed);
    // Revoke bob: refused at once.
    CHECK(call(0, "DELETE", "/v1/tokens/bob.li", "", admin).status == 200);
    ExpectJsonError(call(0, "GET", "/v1/whoami", "", bob), 401);
  }
}
