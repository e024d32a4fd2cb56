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

using namespace hearth;
using hearth::test::Cluster;
using hearth::test::WaitFor;
using hearth::test::WriteText;
using nlohmann::json;

namespace {

constexpr uint32_t kAsOf = 202609;         // window 202509..202608
constexpr uint32_t kWindowFirst = 202509;
constexpr uint32_t kWindowLast = 202608;
constexpr int64_t kThresholdFen = 145000;  // dibao.json: 1450 yuan from 202407 on
constexpr uint64_t kTimeoutMs = 30'000;
constexpr auto kWait = std::chrono::seconds(60);
const char* const kPseudonymKeyHex = "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";

// A valid 18-character ID number (GB 11643-1999) with the given date of birth and sequence.
std::string MakeId(const std::string& birth, const std::string& seq3) {
  const std::string first17 = "110112" + birth + seq3;
  return first17 + NationalIdCheckChar(first17);
}

// The same ID with another (wrong) check character.
std::string WrongCheckDigit(const std::string& id) {
  std::string bad = id;
  bad[17] = id[17] == '0' ? '1' : '0';
  return bad;
}

struct Household {
  std::string case_number;
  std::vector<std::string> ids;  // raw ID numbers, in the order the caseworker types them
  Hash32 id;                     // household id
  std::vector<Hash32> subjects;  // ascending
  Hash32 consent_tx;
  Hash32 declaration_tx;
};

struct Principal {
  std::string name;
  std::string token;
};

// A Cluster of four with TLS, tokens and a pseudonym key configured on every node, and the
// test's records committed.
class CheckCluster {
 public:
  explicit CheckCluster(std::string name) : c_(4, std::move(name)) {
    json tokens = json::object();
    auto mint = [&](const std::string& who, api::Role role, std::optional<Agency> agency) {
      auto t = api::MintToken();
      HEARTH_CHECK(t.ok());
      tokens[who] = api::TokenEntryJson(t->token_sha256, role, agency, 4'102'444'800'000ULL);
      return Principal{who, t->token};
    };
    caseworker_ = mint("alice.wang", api::Role::kCaseworker, Agency::kCivilAffairs);
    agency_ = mint("tax", api::Role::kAgency, Agency::kTax);
    auditor_ = mint("auditor", api::Role::kAuditor, std::nullopt);
    for (size_t i = 0; i < c_.size(); ++i) {
      node::NodeConfig& cfg = c_.config(i);
      const std::string dir = std::filesystem::path(cfg.data_dir).parent_path().string();
      // The pseudonym key lives beside the data directory, never inside it.
      const std::string pkey_path = dir + "/pseudonym.key";
      WriteText(pkey_path, std::string(kPseudonymKeyHex) + "\n");
      std::filesystem::permissions(pkey_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      auto key_pem = node::GenerateEcdsaP256KeyPem();
      HEARTH_CHECK(key_pem.ok());
      auto cert = node::SelfSignedCertificatePem(*key_pem, "api-" + std::to_string(i), 30, {"127.0.0.1"}, {"localhost"});
      HEARTH_CHECK(cert.ok());
      WriteText(dir + "/api.pem", *key_pem);
      std::filesystem::permissions(dir + "/api.pem", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
      WriteText(dir + "/api-cert.pem", *cert);
      certs_.push_back(*cert);
      cfg.api_tls = true;
      cfg.api_key_path = dir + "/api.pem";
      cfg.api_cert_path = dir + "/api-cert.pem";
      cfg.pseudonym_key_path = pkey_path;
      cfg.tokens = tokens;
    }
    trust_ = node::TrustFromGenesis(c_.genesis());
  }

  Cluster& cluster() { return c_; }
  const verify::Trust& trust() const { return trust_; }
  const Principal& caseworker() const { return caseworker_; }
  const Principal& agency_principal() const { return agency_; }
  const Principal& auditor() const { return auditor_; }

  void StartAll() {
    for (size_t i = 0; i < c_.size(); ++i) REQUIRE(c_.StartNode(i).ok());
  }

  Result<node::HttpReply> Call(size_t i, const std::string& method, const std::string& target,
                               const std::string& body, const std::optional<std::string>& token) {
    node::HttpHeaders h;
    if (token) h.emplace_back("Authorization", "Bearer " + *token);
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    const std::string url = "https://127.0.0.1:" + std::to_string(c_.node(i).api_port());
    return node::HttpCall(url, method, target, body, h, certs_[i], kTimeoutMs);
  }

  node::HttpReply Check(size_t i, const json& body, const std::optional<std::string>& token) {
    return CheckText(i, body.dump(), token);
  }
  node::HttpReply CheckText(size_t i, const std::string& body, const std::optional<std::string>& token) {
    Result<node::HttpReply> r = Call(i, "POST", "/v1/checks", body, token);
    HEARTH_CHECK_MSG(r.ok(), r.status().ToString().c_str());
    return std::move(r).value();
  }

  Household MakeHousehold(const std::string& case_number, std::vector<std::string> ids) {
    Household h;
    h.case_number = case_number;
    h.ids = std::move(ids);
    h.id = HouseholdId(c_.genesis().suite, pkey_, case_number).value();
    for (const auto& raw : h.ids) h.subjects.push_back(SubjectId(c_.genesis().suite, pkey_, raw).value());
    std::sort(h.subjects.begin(), h.subjects.end());
    return h;
  }

  Transaction Sign(size_t member, TxPayload payload) {
    TxBody body;
    body.suite = c_.genesis().suite;
    body.chain_id = c_.genesis().chain_id;
    body.issued_at_ms = c_.genesis().genesis_time_ms + nonce_;
    body.nonce = nonce_++;
    body.payload = std::move(payload);
    auto tx = Transaction::Sign(std::move(body), c_.issuer(member));
    HEARTH_CHECK_MSG(tx.ok(), tx.status().ToString().c_str());
    return std::move(tx).value();
  }

  // Declaration, consent (and an optional dibao enrollment) by civil affairs (member 0).
  void Declare(Household& h, bool enrolled, std::vector<Transaction>* out) {
    HouseholdDeclaration d;
    d.household = h.id;
    d.members = h.subjects;
    d.effective_from = 202401;
    out->push_back(Sign(0, d));
    h.declaration_tx = out->back().id();
    Consent k;
    k.household = h.id;
    k.form_hash = SuiteHash(c_.genesis().suite, AsBytes("signed form of " + h.case_number));
    k.valid_from_ms = c_.genesis().genesis_time_ms;
    out->push_back(Sign(0, k));
    h.consent_tx = out->back().id();
    if (enrolled) {
      Enrollment e;
      e.household = h.id;
      e.programme = Programme::kDibao;
      e.first_month = 202501;
      out->push_back(Sign(0, e));
    }
  }

  // One attestation covering the whole window (amount per month).
  Transaction Attest(size_t member, const Hash32& subject, Category cat, int64_t fen) {
    Attestation a;
    a.subject = subject;
    a.category = cat;
    a.first_month = kWindowFirst;
    a.last_month = kWindowLast;
    a.amount_fen = fen;
    return Sign(member, a);
  }

  // Submits `txs` on node 0 and waits until every running node has committed them.
  void SubmitAndWait(const std::vector<Transaction>& txs) {
    std::vector<Result<Transaction>> lines;
    for (const auto& t : txs) lines.emplace_back(t);
    auto out = c_.node(0).Submit(std::move(lines), std::nullopt);
    REQUIRE(out.size() == txs.size());
    for (size_t k = 0; k < out.size(); ++k) {
      INFO("line " << k << ": " << out[k].reason);
      REQUIRE(out[k].kind == node::SubmitOutcome::Kind::kAccepted);
    }
    REQUIRE(WaitFor([&] {
      for (size_t i = 0; i < c_.size(); ++i) {
        if (!c_.running(i)) continue;
        for (const auto& t : txs) {
          if (c_.node(i).GetTxStatus(t.id()).state != node::TxStatus::State::kCommitted) return false;
        }
      }
      return true;
    }, kWait));
  }

  json CheckBody(const Household& h, const Hash32& consent) const {
    return json{{"household_case", h.case_number}, {"members", h.ids}, {"program", "dibao"},
                {"as_of", kAsOf}, {"consent", consent.Hex()}};
  }

 private:
  Cluster c_;
  PseudonymKey pkey_ = PseudonymKey::Parse(kPseudonymKeyHex).value();
  std::vector<std::string> certs_;
  verify::Trust trust_;
  Principal caseworker_, agency_, auditor_;
  uint64_t nonce_ = 1;
};

// The records both test cases use. Household A: two members; tax reports 2000.01 yuan of
// wages a month for the first and an explicit 0 for the second; social security an explicit 0
// pension for the first and 500 yuan for the second. Per month 250001 fen, 24 counted
// member-months: total 3000012 fen, per capita floor(3000012 / 24) = 125000 fen (the exact
// value is 125000.5: the figure must be rounded down), below the 145000 fen threshold ->
// eligible (the asset conditions are not checked: no member agency issues them).
// Household B: one member with 2000 yuan of wages, enrolled in dibao -> ineligible.
struct Fixture {
  Household a, b;
  Hash32 a_expired_consent;  // a second consent of A, valid for one hour after genesis time
  std::vector<Transaction> txs;
};

constexpr int64_t kAIncomeTotal = 12 * 250001;
constexpr int64_t kAPerCapita = 125000;

Fixture SetUpRecords(CheckCluster& cc) {
  Fixture f;
  f.a = cc.MakeHousehold("TZ-CHECK-0000001", {MakeId("19820202", "024"), MakeId("19800101", "013")});
  f.b = cc.MakeHousehold("TZ-CHECK-0000002", {MakeId("19750505", "035")});
  const verify::DefaultRuleSet* dibao = nullptr;
  for (const auto& r : verify::DefaultRuleSets()) {
    if (r.record.programme == Programme::kDibao) dibao = &r;
  }
  REQUIRE(dibao != nullptr);
  f.txs.push_back(cc.Sign(0, dibao->record));
  cc.Declare(f.a, false, &f.txs);
  cc.Declare(f.b, true, &f.txs);
  {
    Consent expired;
    expired.household = f.a.id;
    expired.form_hash = SuiteHash(Suite::kEd25519Sha256, AsBytes("an older form"));
    expired.valid_from_ms = cc.cluster().genesis().genesis_time_ms;
    expired.valid_until_ms = cc.cluster().genesis().genesis_time_ms + 3'600'000;
    f.txs.push_back(cc.Sign(0, expired));
    f.a_expired_consent = f.txs.back().id();
  }
  // Subjects of A in the order of the ID list: ids[0] is the second member (wage 0, pension 500).
  const PseudonymKey pkey = PseudonymKey::Parse(kPseudonymKeyHex).value();
  const Hash32 a_first = SubjectId(Suite::kEd25519Sha256, pkey, f.a.ids[1]).value();
  const Hash32 a_second = SubjectId(Suite::kEd25519Sha256, pkey, f.a.ids[0]).value();
  f.txs.push_back(cc.Attest(1, a_first, Category::kWage, 200001));
  f.txs.push_back(cc.Attest(1, a_second, Category::kWage, 0));
  f.txs.push_back(cc.Attest(2, a_first, Category::kPension, 0));
  f.txs.push_back(cc.Attest(2, a_second, Category::kPension, 50000));
  f.txs.push_back(cc.Attest(1, f.b.subjects[0], Category::kWage, 200000));
  f.txs.push_back(cc.Attest(2, f.b.subjects[0], Category::kPension, 0));
  cc.SubmitAndWait(f.txs);
  return f;
}

// Status and a JSON error body {"error": string, "message": string}.
void ExpectJsonError(const node::HttpReply& r, unsigned status, const std::string& message_part = "") {
  INFO("status " << r.status << " body " << r.body);
  CHECK(r.status == status);
  json j = json::parse(r.body, nullptr, false);
  REQUIRE(j.is_object());
  REQUIRE(j.contains("error"));
  REQUIRE(j.contains("message"));
  CHECK(j["error"].is_string());
  CHECK(j["message"].is_string());
  if (!message_part.empty() && j["message"].is_string()) {
    CHECK(j["message"].get<std::string>().find(message_part) != std::string::npos);
  }
}

// GET /v1/tx/{id}: the JSON answer once committed on node i (or nullopt at the deadline).
std::optional<json> WaitCommittedOverApi(CheckCluster& cc, size_t i, const std::string& id) {
  std::optional<json> got;
  WaitFor([&] {
    auto r = cc.Call(i, "GET", "/v1/tx/" + id, "", cc.auditor().token);
    if (!r.ok() || r->status != 200) return false;
    json j = json::parse(r->body, nullptr, false);
    if (!j.is_object() || j.value("state", "") != "committed") return false;
    got = j;
    return true;
  }, kWait);
  return got;
}

void ExpectAccessRecord(const json& committed, const std::string& caseworker, const Household& h,
                        const Hash32& consent, const Hash32& receipt_hash) {
  INFO(committed.dump());
  REQUIRE(committed.contains("record"));
  const json& rec = committed["record"];
  CHECK(rec.value("kind", "") == "access");
  CHECK(rec.value("caseworker", "") == caseworker);
  CHECK(rec.value("agency", "") == "civil_affairs");
  CHECK(rec.value("household", "") == h.id.Hex());
  CHECK(rec.value("programme", "") == "dibao");
  CHECK(rec.value("purpose", "") == "eligibility_check");
  CHECK(rec.value("consent_tx", "") == consent.Hex());
  CHECK(rec.value("receipt_hash", "") == receipt_hash.Hex());
}

}  // namespace

TEST_CASE("POST /v1/checks answers a verifiable receipt and commits its access record; errors are JSON") {
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
      json b = good;
      b.erase("consent");
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
