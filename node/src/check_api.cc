#include "hearth/node/check_api.h"

#include <chrono>
#include <ctime>
#include <string>

#include <nlohmann/json.hpp>

#include "hearth/json/json_fields.h"
#include "hearth/ledger/national_id.h"
#include "hearth/ledger/records.h"
#include "hearth/verify/receipt.h"
#include "hearth/verify/watch.h"
#include "household_read.h"

namespace hearth::node {
namespace {

using api::HttpRequest;
using api::HttpResponse;
using api::JsonError;
using api::Role;

uint64_t NowMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Today as YYYYMMDD in China Standard Time (bounds dates of birth in ID numbers).
uint32_t TodayCst(uint64_t now_ms) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000 + 8 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return static_cast<uint32_t>((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

HttpResponse CheckError(const Status& st) {
  switch (st.code()) {
    case Code::kInvalidArgument: return JsonError(400, "bad_request", st.message());
    case Code::kNotFound: return JsonError(404, "unknown_household", st.message());
    case Code::kFailedPrecondition: {
      // The engine's preconditions: the consent relied on, or the rule set on chain.
      const std::string& m = st.message();
      if (m.rfind("consent ", 0) == 0) return JsonError(409, "consent", m);
      if (m.find("rule set") != std::string::npos) return JsonError(409, "no_rule_set", m);
      return JsonError(409, "precondition_failed", m);
    }
    case Code::kOutOfRange: return JsonError(422, "too_much_evidence", st.message());
    case Code::kUnavailable: return JsonError(503, "unavailable", st.message());
    default: return JsonError(500, "internal", st.ToString());
  }
}

struct CheckBody {
  std::string household_case;
  std::vector<std::string> members;
  Programme programme = Programme::kDibao;
  uint32_t as_of = 0;
  std::optional<Hash32> consent;  // absent: the household's newest consent valid at the checkpoint
};

Result<CheckBody> ParseCheckBody(std::string_view text) {
  HEARTH_ASSIGN_OR_RETURN(nlohmann::json j, hearth::ParseJsonStrict(text, "check", kCheckBodyBytesMax, 8));
  if (!j.is_object()) return Status::InvalidArgument("check: expected a JSON object");
  hearth::JsonFields f(j, "check");
  CheckBody b;
  HEARTH_RETURN_IF_ERROR(f.Str("household_case", &b.household_case));
  const nlohmann::json* members = nullptr;
  HEARTH_RETURN_IF_ERROR(f.Array("members", &members));
  if (members->empty()) return f.Error("members", "at least one member is required");
  if (members->size() > kMembersMax) {
    return f.Error("members", "more than " + std::to_string(kMembersMax) + " members");
  }
  for (size_t i = 0; i < members->size(); ++i) {
    const nlohmann::json& m = (*members)[i];
    if (!m.is_string()) return f.Error("members[" + std::to_string(i) + "]", "expected a string");
    b.members.push_back(m.get<std::string>());
  }
  std::string program;
  HEARTH_RETURN_IF_ERROR(f.Str("program", &program));
  Result<Programme> p = ParseProgramme(program);
  if (!p.ok()) return f.Error("program", p.status().message());
  b.programme = *p;
  HEARTH_RETURN_IF_ERROR(f.U32("as_of", &b.as_of));
  Status month = CheckMonth("check.as_of", b.as_of);
  if (!month.ok()) return month;
  if (f.Has("consent")) {
    Hash32 c;
    HEARTH_RETURN_IF_ERROR(f.Hash("consent", &c));
    b.consent = c;
  }
  HEARTH_RETURN_IF_ERROR(f.Finish());
  return b;
}

HttpResponse PostCheck(Node& node, const HttpRequest& r) {
  const uint64_t cpu_start = verify::ThreadCpuNs();
  const std::optional<uint16_t> member = node.member_index();
  if (!member || node.node_signing_key() == nullptr) return JsonError(503, "unavailable", "checks run on member nodes; this node is an observer");
  const PseudonymKey* pkey = node.pseudonym_key();
  if (pkey == nullptr) {
    return JsonError(503, "unavailable", "this node has no pseudonym key (pseudonym_key_path in node.json)");
  }
  Result<CheckBody> body = ParseCheckBody(r.body);
  if (!body.ok()) return CheckError(body.status());

  const Suite suite = node.genesis().suite;
  const uint64_t now_ms = NowMs();
  verify::CheckRequest req;
  req.programme = body->programme;
  req.as_of = body->as_of;
  Result<Hash32> household = HouseholdId(suite, *pkey, body->household_case);
  if (!household.ok()) return JsonError(400, "bad_request", "check.household_case: " + household.status().message());
  req.household = *household;
  const uint32_t today = TodayCst(now_ms);
  for (size_t i = 0; i < body->members.size(); ++i) {
    Result<Hash32> subject = SubjectId(suite, *pkey, body->members[i], today);
    if (!subject.ok()) {
      return JsonError(400, "bad_request", "check.members[" + std::to_string(i) + "]: " + subject.status().message());
    }
    req.members.push_back(*subject);
  }
  std::sort(req.members.begin(), req.members.end());
  if (std::adjacent_find(req.members.begin(), req.members.end()) != req.members.end()) {
    return JsonError(400, "bad_request", "check.members: the same person is listed twice");
  }

  const uint64_t height = node.store().head().height;
  if (height == 0) return JsonError(503, "unavailable", "no block is committed yet");
  Result<BlockHeader> header = node.store().Header(height);
  if (!header.ok()) return CheckError(header.status());
  req.checkpoint_time_ms = header->time_ms;
  if (body->consent) {
    req.consent = *body->consent;
  } else {
    Result<HouseholdTxs> h = ReadHousehold(node, req.household, height);
    if (!h.ok()) return CheckError(h.status());
    if (h->declarations.empty()) {
      return JsonError(404, "unknown_household", "no household declaration on chain for this case number");
    }
    Result<Hash32> chosen = ChooseConsent(*h, std::nullopt, header->time_ms);
    if (!chosen.ok()) return JsonError(409, "consent", chosen.status().message());
    req.consent = *chosen;
  }

  Result<verify::CheckOutcome> outcome =
      verify::RunCheck(node.store(), height, node.trust(), req, *node.node_signing_key(), *member);
  if (!outcome.ok()) return CheckError(outcome.status());

  // The access record: durable (outbox) before the receipt leaves. Its receipt_hash is the
  // hash RunCheck signed (= ReceiptHash of the receipt text, tests/verify/receipt_test).
  AccessRecord access;
  access.caseworker = r.principal ? r.principal->name : std::string("unknown");
  access.agency = r.principal && r.principal->agency ? *r.principal->agency : node.agency();
  access.household = req.household;
  access.programme = req.programme;
  access.purpose = AccessPurpose::kEligibilityCheck;
  access.consent_tx = req.consent;
  access.receipt_hash = outcome->receipt_hash;
  access.access_time_ms = now_ms;
  const uint64_t access_start = verify::ThreadCpuNs();
  Result<Hash32> access_id = node.RecordAccess(access);
  if (!access_id.ok()) {
    return JsonError(503, "unavailable", "the access record could not be made durable: " + access_id.status().message());
  }
  HttpResponse resp;
  resp.body = std::move(outcome->receipt);
  resp.headers.emplace_back("Hearth-Access-Record", access_id->Hex());
  // Answered checks only: their handler CPU by phase (/metrics, docs/NODE.md "Checks").
  Node::CheckCpuSample cpu;
  cpu.check = outcome->cpu;
  const uint64_t end = verify::ThreadCpuNs();
  cpu.access_ns = end - access_start;
  const uint64_t counted = cpu.check.evidence_ns + cpu.check.proofs_ns + cpu.check.text_ns +
                           cpu.check.signature_ns + cpu.access_ns;
  cpu.other_ns = end - cpu_start > counted ? end - cpu_start - counted : 0;
  node.CountCheckCpu(cpu);
  return resp;
}

HttpResponse GetAlerts(Node& node, const HttpRequest& r) {
  verify::ChangeWatch* watch = node.change_watch();
  if (watch == nullptr) return JsonError(503, "unavailable", "this node runs no change watch");
  std::optional<Hash32> household;
  uint64_t from_height = 0;
  size_t limit = 100;
  for (const auto& [k, v] : r.query) {
    if (k == "household_case") {
      const PseudonymKey* pkey = node.pseudonym_key();
      if (pkey == nullptr) return JsonError(503, "unavailable", "this node has no pseudonym key");
      Result<Hash32> h = HouseholdId(node.genesis().suite, *pkey, v);
      if (!h.ok()) return JsonError(400, "bad_request", "household_case: " + h.status().message());
      household = *h;
    } else if (k == "household") {
      Result<Hash32> h = Hash32::FromHex(v);
      if (!h.ok()) return JsonError(400, "bad_request", "household: expected 64 hex digits");
      household = *h;
    } else if (k == "from_height" || k == "limit") {
      uint64_t n = 0;
      if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) {
        return JsonError(400, "bad_request", k + ": expected a non-negative integer");
      }
      n = std::stoull(v);
      if (k == "from_height") {
        from_height = n;
      } else {
        if (n == 0 || n > kAlertsPerPageMax) {
          return JsonError(400, "bad_request", "limit: expected 1.." + std::to_string(kAlertsPerPageMax));
        }
        limit = static_cast<size_t>(n);
      }
    } else {
      return JsonError(400, "bad_request", "unknown query parameter '" + k + "'");
    }
  }
  Result<std::vector<verify::Alert>> alerts = watch->Alerts(household, from_height, limit);
  if (!alerts.ok()) return CheckError(alerts.status());
  nlohmann::json out;
  out["processed_height"] = watch->processed_height();
  out["watched"] = watch->watched();
  nlohmann::json list = nlohmann::json::array();
  for (const verify::Alert& a : *alerts) {
    nlohmann::json j;
    j["height"] = a.height;
    j["n"] = a.n;
    j["household"] = a.household.Hex();
    j["program"] = std::string(ProgrammeCode(a.programme));
    j["as_of"] = a.as_of;
    j["old_decision"] = std::string(verify::DecisionCode(a.old_decision));
    j["new_decision"] = std::string(verify::DecisionCode(a.new_decision));
    if (a.old_per_capita_fen) j["old_per_capita_monthly_fen"] = *a.old_per_capita_fen;
    if (a.new_per_capita_fen) j["new_per_capita_monthly_fen"] = *a.new_per_capita_fen;
    nlohmann::json causes = nlohmann::json::array();
    for (const Hash32& c : a.causes) causes.push_back(c.Hex());
    j["causes"] = causes;
    list.push_back(std::move(j));
  }
  out["alerts"] = std::move(list);
  HttpResponse resp;
  resp.body = out.dump();
  return resp;
}

}  // namespace

void RegisterCheckRoutes(api::HttpServer& server, Node& node) {
  Node* n = &node;
  server.AddRoute({"POST", "/v1/checks", {Role::kCaseworker}, [n](const HttpRequest& r) { return PostCheck(*n, r); }});
  server.AddRoute({"GET", "/v1/alerts", {Role::kCaseworker}, [n](const HttpRequest& r) { return GetAlerts(*n, r); }});
}

}  // namespace hearth::node
