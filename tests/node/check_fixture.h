// check_fixture.h: the four-node HTTPS cluster with tokens, a pseudonym key and a small
// district (a dibao rule set, two households with consents, a year of tax and social-security
// attestations) that the check and household API tests share. Header-only; each test
// executable includes it once.
#pragma once

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

#include <catch2/catch.hpp>

namespace check_fixture {

using namespace hearth;
using hearth::test::Cluster;
using hearth::test::WaitFor;
using hearth::test::WriteText;
using nlohmann::json;


inline constexpr uint32_t kAsOf = 202609;         // window 202509..202608
inline constexpr uint32_t kWindowFirst = 202509;
inline constexpr uint32_t kWindowLast = 202608;
inline constexpr int64_t kThresholdFen = 145000;  // dibao.json: 1450 yuan from 202407 on
inline constexpr uint64_t kTimeoutMs = 30'000;
inline constexpr auto kWait = std::chrono::seconds(60);
inline const char* const kPseudonymKeyHex = "3f1c2a9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";

// A valid 18-character ID number (GB 11643-1999) with the given date of birth and sequence.
inline std::string MakeId(const std::string& birth, const std::string& seq3) {
  const std::string first17 = "110112" + birth + seq3;
  return first17 + NationalIdCheckChar(first17);
}

// The same ID with another (wrong) check character.
inline std::string WrongCheckDigit(const std::string& id) {
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
    admin_ = mint("root", api::Role::kAdmin, std::nullopt);
    civil_ = mint("civil-system", api::Role::kAgency, Agency::kCivilAffairs);
    expired_ = mint("old.caseworker", api::Role::kCaseworker, Agency::kCivilAffairs);
    tokens["old.caseworker"]["expires_ms"] = 1'000;  // long expired
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
  const Principal& admin() const { return admin_; }
  const Principal& civil_system() const { return civil_; }  // the civil affairs back office
  const Principal& expired() const { return expired_; }     // a caseworker whose token expired
  const PseudonymKey& pseudonym_key() const { return pkey_; }

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
  Principal caseworker_, agency_, auditor_, admin_, civil_, expired_;
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

inline constexpr int64_t kAIncomeTotal = 12 * 250001;
inline constexpr int64_t kAPerCapita = 125000;

inline Fixture SetUpRecords(CheckCluster& cc) {
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
inline void ExpectJsonError(const node::HttpReply& r, unsigned status, const std::string& message_part = "") {
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
inline std::optional<json> WaitCommittedOverApi(CheckCluster& cc, size_t i, const std::string& id) {
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

inline void ExpectAccessRecord(const json& committed, const std::string& caseworker, const Household& h,
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


}  // namespace check_fixture
