#include "hearth/node/household_api.h"

#include <chrono>
#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "hearth/api/record_json.h"
#include "hearth/json/json_fields.h"
#include "hearth/ledger/crypto.h"
#include "hearth/ledger/block.h"
#include "hearth/ledger/index_keys.h"
#include "hearth/ledger/national_id.h"
#include "hearth/verify/receipt.h"
#include "hearth/verify/watch.h"
#include "household_read.h"
#include "token_admin.h"

namespace hearth::node {
namespace {

using api::HttpRequest;
using api::HttpResponse;
using api::JsonError;
using api::Role;
using json = nlohmann::json;

uint64_t NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

HttpResponse JsonOk(const json& j, unsigned status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = j.dump();
  return r;
}

HttpResponse StoreError(const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument: return JsonError(400, "bad_request", st.message());
    case Code::kFailedPrecondition: return JsonError(409, "consent", st.message());
    case Code::kUnavailable: return JsonError(503, "unavailable", st.message());
    default: return JsonError(500, "internal", st.ToString());
  }
}

// A YYYYMM query value.
Result<uint32_t> MonthParam(const std::string& name, const std::string& v) {
  if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
    return Status::InvalidArgument(name + ": expected a month YYYYMM");
  }
  const uint32_t m = static_cast<uint32_t>(std::stoul(v));
  HEARTH_RETURN_IF_ERROR(CheckMonth(name, m));
  return m;
}

Result<Hash32> HouseholdOfCase(const Node& node, const std::string& field, const std::string& case_number) {
  const PseudonymKey* pkey = node.pseudonym_key();
  if (pkey == nullptr) return Status::Unavailable("this node has no pseudonym key (pseudonym_key_path in node.json)");
  Result<Hash32> h = HouseholdId(node.genesis().suite, *pkey, case_number);
  if (!h.ok()) return Status::InvalidArgument(field + ": " + h.status().message());
  return *h;
}

json PrincipalJson(const api::Principal& p) {
  json j{{"principal", p.name}, {"role", std::string(api::RoleName(p.role))}, {"expires_ms", p.expires_ms}};
  if (p.agency) j["agency"] = std::string(AgencyCode(*p.agency));
  return j;
}

// ---- whoami, programs, receipts ----

HttpResponse GetWhoami(const HttpRequest& r) { return JsonOk(PrincipalJson(*r.principal)); }

HttpResponse GetPrograms(Node& node) {
  const uint64_t height = node.store().head().height;
  json list = json::array();
  for (Programme p : {Programme::kDibao, Programme::kLowIncome, Programme::kTekun, Programme::kDisabilityLiving,
                      Programme::kDisabilityNursing, Programme::kHeating}) {
    if (height == 0) break;
    Result<std::vector<StoredTx>> txs = ReadIndexed(node, IndexKey::ForProgramme(p), height);
    if (!txs.ok()) return StoreError(txs.status());
    const RuleSet* newest = nullptr;
    for (const StoredTx& st : *txs) {
      if (st.tx.kind() != TxKind::kRuleSet) continue;
      if (node.AuthorityAt(st.tx.body().signer, st.location.log_index) != Agency::kCivilAffairs) continue;
      const auto& rs = PayloadAs<RuleSet>(st.tx);
      if (newest == nullptr || rs.effective_from >= newest->effective_from) newest = &rs;
    }
    if (newest == nullptr) continue;
    json item{{"code", std::string(ProgrammeCode(p))}, {"version", newest->version},
              {"effective_from", newest->effective_from}};
    const json rules = json::parse(newest->rules_json, nullptr, false);
    for (const char* k : {"title_zh", "title_en"}) {
      if (rules.is_object() && rules.contains(k) && rules[k].is_string()) item[k] = rules[k];
    }
    list.push_back(std::move(item));
  }
  return JsonOk({{"height", height}, {"programs", list}});
}

HttpResponse PostReceiptVerify(Node& node, const HttpRequest& r) {
  if (r.body.size() > kReceiptBodyBytesMax) {
    return JsonError(413, "body_too_large", "a receipt of at most " + std::to_string(kReceiptBodyBytesMax) + " bytes");
  }
  const json probe = json::parse(r.body, nullptr, false);
  if (probe.is_discarded() || !probe.is_object()) {
    return JsonError(400, "bad_request", "receipt: expected the receipt's JSON object as the body");
  }
  Result<verify::VerifiedReceipt> v = verify::VerifyReceiptDetailed(r.body, node.trust());
  if (!v.ok()) return JsonOk({{"valid", false}, {"reason", v.status().message()}});
  json j{{"valid", true},
         {"decision", std::string(verify::DecisionCode(v->result.decision))},
         {"household", v->request.household.Hex()},
         {"program", std::string(ProgrammeCode(v->request.programme))},
         {"as_of", v->request.as_of},
         {"checkpoint_height", v->checkpoint.height},
         {"signer_member", v->signer}};
  if (v->signer < node.genesis().members.size()) j["signer"] = node.genesis().members[v->signer].name;
  j["receipt_hash"] = v->receipt_hash.Hex();
  return JsonOk(j);
}

// ---- history ----

json HistoryMonth(const Node& node, const HouseholdDeclaration* decl, uint32_t month,
                  const std::map<Hash32, std::vector<StoredTx>>& filed, const std::set<Hash32>& dropped) {
  json members = json::array();
  json income = json::array();
  int64_t total = 0;
  if (decl != nullptr) {
    for (const Hash32& s : decl->members) {
      members.push_back(s.Hex());
      auto it = filed.find(s);
      if (it == filed.end()) continue;
      for (const StoredTx& st : it->second) {
        if (dropped.count(st.tx.id())) continue;
        const auto& a = PayloadAs<Attestation>(st.tx);
        if (month < a.first_month || month > a.last_month) continue;
        const CategoryInfo& info = InfoOf(a.category);
        const std::optional<Agency> by = node.AuthorityAt(st.tx.body().signer, st.location.log_index);
        json e{{"subject", s.Hex()},
               {"agency", std::string(AgencyCode(*by))},
               {"category", std::string(CategoryCode(a.category))},
               {"fen", a.amount_fen},
               {"tx", st.tx.id().Hex()}};
        switch (info.klass) {
          case CategoryClass::kIncome: e["class"] = "income"; total += a.amount_fen; break;
          case CategoryClass::kDeduction: e["class"] = "deduction"; total -= a.amount_fen; break;
          case CategoryClass::kExcluded: e["class"] = "excluded"; break;
          case CategoryClass::kStatus: e["class"] = "status"; break;
          case CategoryClass::kAsset: e["class"] = "asset"; break;
        }
        income.push_back(std::move(e));
      }
    }
  }
  return json{{"month", month}, {"members", members}, {"income", income}, {"total_fen", total}};
}

HttpResponse GetHistory(Node& node, const HttpRequest& r) {
  const std::optional<uint16_t> member = node.member_index();
  if (!member) return JsonError(503, "unavailable", "history reads run on member nodes; this node is an observer");
  uint32_t from = 0, to = 0;
  std::optional<Hash32> consent;
  Programme programme = Programme::kDibao;
  for (const auto& [k, v] : r.query) {
    if (k == "from" || k == "to") {
      Result<uint32_t> m = MonthParam(k, v);
      if (!m.ok()) return JsonError(400, "bad_request", m.status().message());
      (k == "from" ? from : to) = *m;
    } else if (k == "consent") {
      Result<Hash32> c = Hash32::FromHex(v);
      if (!c.ok()) return JsonError(400, "bad_request", "consent: expected 64 hex digits");
      consent = *c;
    } else if (k == "program") {
      Result<Programme> p = ParseProgramme(v);
      if (!p.ok()) return JsonError(400, "bad_request", "program: " + p.status().message());
      programme = *p;
    } else {
      return JsonError(400, "bad_request", "unknown query parameter '" + k + "'");
    }
  }
  if (from == 0 || to == 0) return JsonError(400, "bad_request", "from and to (YYYYMM) are required");
  if (from > to) return JsonError(400, "bad_request", "from: " + std::to_string(from) + " is after to " + std::to_string(to));
  if (MonthsBetweenInclusive(from, to) > kHistoryMonthsMax) {
    return JsonError(400, "bad_request", "from..to: at most " + std::to_string(kHistoryMonthsMax) + " months");
  }
  Result<Hash32> household = HouseholdOfCase(node, "household_case", r.path_params.at("case"));
  if (!household.ok()) return StoreError(household.status());

  const uint64_t height = node.store().head().height;
  if (height == 0) return JsonError(503, "unavailable", "no block is committed yet");
  Result<BlockHeader> header = node.store().Header(height);
  if (!header.ok()) return StoreError(header.status());
  Result<HouseholdTxs> h = ReadHousehold(node, *household, height);
  if (!h.ok()) return StoreError(h.status());
  if (h->declarations.empty()) return JsonError(404, "unknown_household", "no household declaration on chain for this case number");
  Result<Hash32> consent_tx = ChooseConsent(*h, consent, header->time_ms);
  if (!consent_tx.ok()) return JsonError(409, "consent", consent_tx.status().message());

  // Every attestation filed under each member's months; corrections decided over all of them.
  std::vector<uint32_t> months;
  for (uint32_t m = from;; m = NextMonth(m)) {
    months.push_back(m);
    if (m == to) break;
  }
  std::map<Hash32, std::vector<StoredTx>> filed;  // subject -> attestations, by id once
  std::set<Hash32> seen;
  for (uint32_t m : months) {
    const HouseholdDeclaration* d = DeclarationAt(*h, m);
    if (d == nullptr) continue;
    for (const Hash32& s : d->members) {
      Result<std::vector<StoredTx>> txs = ReadIndexed(node, IndexKey::SubjectMonth(s, m), height);
      if (!txs.ok()) return StoreError(txs.status());
      for (StoredTx& st : *txs) {
        if (st.tx.kind() != TxKind::kAttestation || !seen.insert(st.tx.id()).second) continue;
        if (!node.AuthorityAt(st.tx.body().signer, st.location.log_index)) continue;
        filed[s].push_back(std::move(st));
      }
    }
  }
  // A correction (same agency, same subject) replaces its target; of several corrections of
  // one record the last in the log wins (verify/engine.h).
  std::set<Hash32> dropped;
  for (auto& [s, list] : filed) {
    std::sort(list.begin(), list.end(),
              [](const StoredTx& a, const StoredTx& b) { return a.location.log_index < b.location.log_index; });
    std::map<Hash32, const StoredTx*> by_id;
    for (const StoredTx& st : list) by_id[st.tx.id()] = &st;
    std::map<Hash32, const StoredTx*> winner;  // corrected id -> last correction
    for (const StoredTx& st : list) {
      const auto& a = PayloadAs<Attestation>(st.tx);
      if (!a.supersedes) continue;
      auto target = by_id.find(*a.supersedes);
      if (target == by_id.end()) continue;
      if (node.AuthorityAt(target->second->tx.body().signer, target->second->location.log_index) !=
              node.AuthorityAt(st.tx.body().signer, st.location.log_index) ||
          PayloadAs<Attestation>(target->second->tx).subject != a.subject) {
        continue;
      }
      auto [it, fresh] = winner.emplace(*a.supersedes, &st);
      if (!fresh) {
        dropped.insert(it->second->tx.id());
        it->second = &st;
      }
      dropped.insert(*a.supersedes);
    }
  }
  json out_months = json::array();
  for (uint32_t m : months) out_months.push_back(HistoryMonth(node, DeclarationAt(*h, m), m, filed, dropped));
  json out{{"household", household->Hex()},
           {"from", from},
           {"to", to},
           {"program", std::string(ProgrammeCode(programme))},
           {"consent_tx", consent_tx->Hex()},
           {"checkpoint", {{"height", height}, {"time_ms", header->time_ms}}},
           {"months", out_months}};
  HttpResponse resp;
  resp.body = out.dump();

  AccessRecord access;
  access.caseworker = r.principal->name;
  access.agency = r.principal->agency ? *r.principal->agency : node.agency();
  access.household = *household;
  access.programme = programme;
  access.purpose = AccessPurpose::kHistoryRead;
  access.consent_tx = *consent_tx;
  access.receipt_hash = SuiteHash(node.genesis().suite, AsBytes(resp.body));
  access.access_time_ms = NowMs();
  Result<Hash32> access_id = node.RecordAccess(access);
  if (!access_id.ok()) {
    return JsonError(503, "unavailable", "the access record could not be made durable: " + access_id.status().message());
  }
  resp.headers.emplace_back("Hearth-Access-Record", access_id->Hex());
  return resp;
}

// ---- access log ----

HttpResponse GetAccessLog(Node& node, const HttpRequest& r) {
  std::optional<Hash32> household;
  uint32_t from = 0, to = 0;
  size_t limit = 1000;
  for (const auto& [k, v] : r.query) {
    if (k == "household_case") {
      Result<Hash32> h = HouseholdOfCase(node, "household_case", v);
      if (!h.ok()) return StoreError(h.status());
      household = *h;
    } else if (k == "household") {
      Result<Hash32> h = Hash32::FromHex(v);
      if (!h.ok()) return JsonError(400, "bad_request", "household: expected 64 hex digits");
      household = *h;
    } else if (k == "from" || k == "to") {
      Result<uint32_t> m = MonthParam(k, v);
      if (!m.ok()) return JsonError(400, "bad_request", m.status().message());
      (k == "from" ? from : to) = *m;
    } else if (k == "limit") {
      if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos ||
          std::stoul(v) == 0 || std::stoul(v) > kAccessLogRecordsMax) {
        return JsonError(400, "bad_request", "limit: expected 1.." + std::to_string(kAccessLogRecordsMax));
      }
      limit = std::stoul(v);
    } else {
      return JsonError(400, "bad_request", "unknown query parameter '" + k + "'");
    }
  }
  if (r.query.count("household_case") && r.query.count("household")) {
    return JsonError(400, "bad_request", "give household_case or household, not both");
  }
  if (!household) return JsonError(400, "bad_request", "household_case (or household=<id>) is required");
  if (from != 0 && to != 0 && from > to) return JsonError(400, "bad_request", "from is after to");

  const ChainHead head = node.store().head();
  json records = json::array();
  bool truncated = false;
  json checkpoint{{"height", head.height}, {"log_size", head.log_size}, {"log_root", head.log_root.Hex()}};
  if (head.height > 0) {
    // The certified header the proofs are against, so a client can check them from genesis.
    Result<BlockHeader> header = node.store().Header(head.height);
    if (!header.ok()) return StoreError(header.status());
    Result<CommitCertificate> cert = node.store().Certificate(head.height);
    if (!cert.ok()) return StoreError(cert.status());
    checkpoint["header_hex"] = ToHex(EncodeBlockHeader(*header));
    checkpoint["certificate_hex"] = ToHex(EncodeCertificate(*cert));
  }
  if (head.height > 0) {
    Result<std::vector<StoredTx>> txs = ReadIndexed(node, IndexKey::AccessLog(*household), head.height);
    if (!txs.ok()) return StoreError(txs.status());
    for (const StoredTx& st : *txs) {
      if (st.tx.kind() != TxKind::kAccessRecord) continue;
      const auto& a = PayloadAs<AccessRecord>(st.tx);
      if (a.household != *household) continue;
      const uint32_t month = verify::MonthOfTimeCst(a.access_time_ms);
      if ((from != 0 && month < from) || (to != 0 && month > to)) continue;
      if (records.size() == limit) {
        truncated = true;
        break;
      }
      Result<std::vector<Hash32>> proof = node.store().InclusionProof(st.location.log_index, head.log_size);
      if (!proof.ok()) return StoreError(proof.status());
      json p = json::array();
      for (const Hash32& x : *proof) p.push_back(x.Hex());
      json rec{{"id", st.tx.id().Hex()},
               {"height", st.location.height},
               {"log_index", st.location.log_index},
               {"caseworker", a.caseworker},
               {"agency", std::string(AgencyCode(a.agency))},
               {"program", std::string(ProgrammeCode(a.programme))},
               {"purpose", a.purpose == AccessPurpose::kEligibilityCheck ? "eligibility_check" : "history_read"},
               {"consent_tx", a.consent_tx.Hex()},
               {"receipt_hash", a.receipt_hash.Hex()},
               {"access_time_ms", a.access_time_ms},
               {"signer", st.tx.body().signer.Hex()},
               {"inclusion_proof", p},
               {"tx_hex", ToHex(st.tx.Encode())}};
      records.push_back(std::move(rec));
    }
  }
  json out{{"household", household->Hex()},
           {"checkpoint", checkpoint},
           {"records", records},
           {"truncated", truncated}};
  return JsonOk(out);
}

// ---- consents and enrollments ----

HttpResponse PostCivilRecord(Node& node, const HttpRequest& r, TxKind want) {
  const std::string what(TxKindName(want));
  if (!node.config().is_voter()) return JsonError(409, "observer", "an observer admits no records");
  if (r.principal->agency != Agency::kCivilAffairs) {
    return JsonError(403, "forbidden", what + " records come from civil affairs systems; this principal is " +
                                           (r.principal->agency ? std::string(AgencyCode(*r.principal->agency)) : "no agency"));
  }
  std::string_view body = r.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r' || body.back() == ' ')) body.remove_suffix(1);
  if (body.empty()) return JsonError(400, "bad_request", "empty body: expected one signed " + what + " record");
  if (body.find('\n') != std::string_view::npos) {
    return JsonError(400, "bad_request", "one record per request here (POST /v1/records takes NDJSON)");
  }
  Result<Transaction> tx = api::ParseRecordLine(body);
  if (!tx.ok()) return JsonError(400, "bad_request", tx.status().message());
  if (tx->kind() != want) {
    return JsonError(400, "bad_request", "transaction.kind: expected " + what + ", got " + std::string(TxKindName(tx->kind())));
  }
  if (tx->body().chain_id != node.genesis().chain_id) {
    return JsonError(400, "bad_request", "transaction.chain_id: \"" + tx->body().chain_id + "\" is not this chain's");
  }
  const Hash32 household =
      want == TxKind::kConsent ? PayloadAs<Consent>(*tx).household : PayloadAs<Enrollment>(*tx).household;
  const uint64_t height = node.store().head().height;
  Result<HouseholdTxs> h = height == 0 ? Result<HouseholdTxs>(HouseholdTxs{}) : ReadHousehold(node, household, height);
  if (!h.ok()) return StoreError(h.status());
  if (h->declarations.empty()) {
    return JsonError(404, "unknown_household", what + ".household: no household declaration on chain for " + household.Hex());
  }
  if (want == TxKind::kConsent) {
    const Consent& c = PayloadAs<Consent>(*tx);
    if (c.valid_until_ms && *c.valid_until_ms <= NowMs()) {
      return JsonError(400, "bad_request", "consent.valid_until_ms: " + std::to_string(*c.valid_until_ms) + " is already past");
    }
  }
  std::vector<Result<Transaction>> lines;
  lines.push_back(std::move(tx));
  std::vector<SubmitOutcome> out = node.Submit(std::move(lines), Agency::kCivilAffairs);
  const SubmitOutcome& o = out.at(0);
  json j{{"result", std::string(SubmitKindName(o.kind))}};
  if (o.id) j["id"] = o.id->Hex();
  if (!o.reason.empty()) j["reason"] = o.reason;
  if (!o.warning.empty()) j["warning"] = o.warning;
  switch (o.kind) {
    case SubmitOutcome::Kind::kAccepted: return JsonOk(j, 201);
    case SubmitOutcome::Kind::kDuplicate: return JsonOk(j, 200);
    case SubmitOutcome::Kind::kRejected: {
      HttpResponse resp = JsonOk(j, o.reason.rfind("forbidden", 0) == 0 ? 403 : 422);
      return resp;
    }
    case SubmitOutcome::Kind::kRetryLater: {
      HttpResponse resp = JsonOk(j, 503);
      resp.headers.emplace_back("Retry-After", "1");
      return resp;
    }
  }
  return JsonError(500, "internal", "unknown admission outcome");
}

// ---- tokens ----

HttpResponse GetTokens(Node& node) {
  json list = json::array();
  for (const TokenAdmin::Listed& l : node.token_admin()->List()) {
    json j = PrincipalJson(l.principal);
    j["source"] = l.issued ? "issued" : "config";
    list.push_back(std::move(j));
  }
  return JsonOk({{"principals", list}});
}

HttpResponse PostToken(Node& node, const HttpRequest& r) {
  Result<json> j = hearth::ParseJsonStrict(r.body, "token", kTokenBodyBytesMax, 2);
  if (!j.ok()) return JsonError(400, "bad_request", j.status().message());
  if (!j->is_object()) return JsonError(400, "bad_request", "token: expected a JSON object");
  hearth::JsonFields f(*j, "token");
  std::string name, role_text, agency_text;
  uint32_t ttl_days = 0;
  std::optional<Agency> agency;
  Status st = f.Str("principal", &name);
  if (st.ok()) st = f.Str("role", &role_text);
  if (st.ok() && f.Has("agency")) st = f.Str("agency", &agency_text);
  if (st.ok()) st = f.U32("ttl_days", &ttl_days);
  if (st.ok()) st = f.Finish();
  if (!st.ok()) return JsonError(400, "bad_request", st.message());
  Result<Role> role = api::ParseRole(role_text);
  if (!role.ok()) return JsonError(400, "bad_request", "token.role: " + role.status().message());
  if (!agency_text.empty()) {
    Result<Agency> a = ParseAgency(agency_text);
    if (!a.ok()) return JsonError(400, "bad_request", "token.agency: " + a.status().message());
    agency = *a;
  }
  Result<TokenAdmin::Issued> issued = node.token_admin()->Issue(name, *role, agency, ttl_days, NowMs());
  if (!issued.ok()) {
    if (issued.status().code() == Code::kAlreadyExists) return JsonError(409, "exists", issued.status().message());
    if (issued.status().code() == Code::kInvalidArgument) return JsonError(400, "bad_request", "token." + issued.status().message());
    return JsonError(503, "unavailable", issued.status().message());
  }
  return JsonOk({{"principal", name}, {"token", issued->token}, {"expires_ms", issued->expires_ms}}, 201);
}

HttpResponse DeleteToken(Node& node, const HttpRequest& r) {
  const std::string& name = r.path_params.at("principal");
  if (r.principal && r.principal->name == name) {
    return JsonError(409, "self", "an admin cannot revoke the token it is using");
  }
  Status st = node.token_admin()->Revoke(name);
  if (st.code() == Code::kNotFound) return JsonError(404, "not_found", st.message());
  if (!st.ok()) return JsonError(503, "unavailable", st.message());
  return JsonOk({{"revoked", name}});
}

const std::vector<Role> kAnyRole = {Role::kAgency, Role::kCaseworker, Role::kAuditor, Role::kAdmin};

}  // namespace

void RegisterHouseholdRoutes(api::HttpServer& server, Node& node) {
  Node* n = &node;
  server.AddRoute({"GET", "/v1/whoami", kAnyRole, [](const HttpRequest& r) { return GetWhoami(r); }});
  server.AddRoute({"GET", "/v1/programs", kAnyRole, [n](const HttpRequest&) { return GetPrograms(*n); }});
  server.AddRoute({"POST", "/v1/receipts/verify", kAnyRole, [n](const HttpRequest& r) { return PostReceiptVerify(*n, r); }});
  server.AddRoute({"GET", "/v1/households/{case}/history", {Role::kCaseworker},
                   [n](const HttpRequest& r) { return GetHistory(*n, r); }});
  server.AddRoute({"GET", "/v1/access-log", {Role::kAuditor}, [n](const HttpRequest& r) { return GetAccessLog(*n, r); }});
  server.AddRoute({"POST", "/v1/consents", {Role::kAgency},
                   [n](const HttpRequest& r) { return PostCivilRecord(*n, r, TxKind::kConsent); }});
  server.AddRoute({"POST", "/v1/enrollments", {Role::kAgency},
                   [n](const HttpRequest& r) { return PostCivilRecord(*n, r, TxKind::kEnrollment); }});
  server.AddRoute({"GET", "/v1/tokens", {Role::kAdmin}, [n](const HttpRequest&) { return GetTokens(*n); }});
  server.AddRoute({"POST", "/v1/tokens", {Role::kAdmin}, [n](const HttpRequest& r) { return PostToken(*n, r); }});
  server.AddRoute({"DELETE", "/v1/tokens/{principal}", {Role::kAdmin},
                   [n](const HttpRequest& r) { return DeleteToken(*n, r); }});
}

}  // namespace hearth::node
