// JSON <-> Transaction (record_json.h). Reading is strict (json_fields.h); writing emits the
// documented field order through one template used for both nlohmann::json (sorted keys)
// and nlohmann::ordered_json (the text form).
#include "hearth/api/record_json.h"

#include <utility>

#include "hearth/json/json_fields.h"

namespace hearth::api {

namespace {

using json = nlohmann::json;

// Parses a text code with `parse`, reporting a failure against the field.
template <typename T, typename Parse>
Status Code(JsonFields& f, std::string_view key, Parse parse, T* out) {
  std::string s;
  HEARTH_RETURN_IF_ERROR(f.Str(key, &s));
  Result<T> v = parse(s);
  if (!v.ok()) return f.Error(key, v.status().message());
  *out = *v;
  return Status::Ok();
}

Status ReadPayload(JsonFields& f, Attestation* a) {
  HEARTH_RETURN_IF_ERROR(f.Hash("subject", &a->subject));
  HEARTH_RETURN_IF_ERROR(Code(f, "category", ParseCategory, &a->category));
  HEARTH_RETURN_IF_ERROR(f.U32("first_month", &a->first_month));
  HEARTH_RETURN_IF_ERROR(f.U32("last_month", &a->last_month));
  HEARTH_RETURN_IF_ERROR(f.I64("amount_fen", &a->amount_fen));
  const json* attrs = nullptr;
  HEARTH_RETURN_IF_ERROR(f.Object("attributes", &attrs));
  if (attrs->size() > kAttributesMax) {
    return f.Error("attributes", "count " + std::to_string(attrs->size()) + " exceeds maximum " +
                                     std::to_string(kAttributesMax));
  }
  for (auto it = attrs->begin(); it != attrs->end(); ++it) {
    if (!it.value().is_string()) {
      return f.Error("attributes." + it.key(), "expected a string value");
    }
    a->attributes.push_back({it.key(), it.value().get<std::string>()});
  }
  return f.OptHash("supersedes", &a->supersedes);
}

Status ReadPayload(JsonFields& f, HouseholdDeclaration* h) {
  HEARTH_RETURN_IF_ERROR(f.Hash("household", &h->household));
  const json* members = nullptr;
  HEARTH_RETURN_IF_ERROR(f.Array("members", &members));
  if (members->size() > kMembersMax) {
    return f.Error("members", "count " + std::to_string(members->size()) + " exceeds maximum " +
                                  std::to_string(kMembersMax));
  }
  for (size_t i = 0; i < members->size(); ++i) {
    const std::string field = "members[" + std::to_string(i) + "]";
    const json& m = (*members)[i];
    if (!m.is_string()) return f.Error(field, "expected a hex string");
    Result<Bytes> b = DecodeHexField("household." + field, m.get_ref<const std::string&>(),
                                     Hash32::kSize, Hash32::kSize);
    if (!b.ok()) return b.status();
    h->members.push_back(Hash32::FromBytes(*b));
  }
  return f.U32("effective_from", &h->effective_from);
}

Status ReadPayload(JsonFields& f, Consent* c) {
  HEARTH_RETURN_IF_ERROR(f.Hash("household", &c->household));
  HEARTH_RETURN_IF_ERROR(f.Hash("form_hash", &c->form_hash));
  HEARTH_RETURN_IF_ERROR(f.U64("valid_from_ms", &c->valid_from_ms));
  return f.OptU64("valid_until_ms", &c->valid_until_ms);
}

Status ReadPayload(JsonFields& f, Enrollment* e) {
  HEARTH_RETURN_IF_ERROR(f.Hash("household", &e->household));
  HEARTH_RETURN_IF_ERROR(Code(f, "programme", ParseProgramme, &e->programme));
  HEARTH_RETURN_IF_ERROR(f.U32("first_month", &e->first_month));
  return f.OptU32("last_month", &e->last_month);
}

Status ReadPayload(JsonFields& f, AccessRecord* r) {
  HEARTH_RETURN_IF_ERROR(f.Str("caseworker", &r->caseworker));
  HEARTH_RETURN_IF_ERROR(Code(f, "agency", ParseAgency, &r->agency));
  HEARTH_RETURN_IF_ERROR(f.Hash("household", &r->household));
  HEARTH_RETURN_IF_ERROR(Code(f, "programme", ParseProgramme, &r->programme));
  HEARTH_RETURN_IF_ERROR(Code(f, "purpose", ParseAccessPurpose, &r->purpose));
  HEARTH_RETURN_IF_ERROR(f.Hash("consent_tx", &r->consent_tx));
  HEARTH_RETURN_IF_ERROR(f.Hash("receipt_hash", &r->receipt_hash));
  return f.U64("access_time_ms", &r->access_time_ms);
}

Status ReadPayload(JsonFields& f, RuleSet* r) {
  HEARTH_RETURN_IF_ERROR(Code(f, "programme", ParseProgramme, &r->programme));
  HEARTH_RETURN_IF_ERROR(f.U32("version", &r->version));
  HEARTH_RETURN_IF_ERROR(f.U32("effective_from", &r->effective_from));
  return f.Str("rules_json", &r->rules_json);
}

Status ReadPayload(JsonFields& f, KeyEvent* k) {
  HEARTH_RETURN_IF_ERROR(Code(f, "action", ParseKeyAction, &k->action));
  HEARTH_RETURN_IF_ERROR(Code(f, "agency", ParseAgency, &k->agency));
  HEARTH_RETURN_IF_ERROR(Code(f, "key_suite", ParseSuite, &k->key_suite));
  HEARTH_RETURN_IF_ERROR(f.Hex("key_raw", 1, kPublicKeyBytesMax, &k->key_raw));
  return f.Str("reason", &k->reason);
}

Status ReadPayloadOfKind(JsonFields& f, TxKind kind, TxPayload* out) {
  switch (kind) {
    case TxKind::kAttestation: return ReadPayload(f, &out->emplace<Attestation>());
    case TxKind::kHouseholdDeclaration:
      return ReadPayload(f, &out->emplace<HouseholdDeclaration>());
    case TxKind::kConsent: return ReadPayload(f, &out->emplace<Consent>());
    case TxKind::kEnrollment: return ReadPayload(f, &out->emplace<Enrollment>());
    case TxKind::kAccessRecord: return ReadPayload(f, &out->emplace<AccessRecord>());
    case TxKind::kRuleSet: return ReadPayload(f, &out->emplace<RuleSet>());
    case TxKind::kKeyEvent: return ReadPayload(f, &out->emplace<KeyEvent>());
  }
  HEARTH_CHECK_MSG(false, "unknown TxKind");
  return Status::Internal("unreachable");
}

// {"tx": "<hex>"}: the canonical bytes, decoded by the ledger.
Result<Transaction> FromHexForm(const json& j) {
  JsonFields f(j, "record");
  std::string hex;
  HEARTH_RETURN_IF_ERROR(f.Str("tx", &hex));
  HEARTH_RETURN_IF_ERROR(f.Finish());
  Result<Bytes> bytes = DecodeHexField("record.tx", hex, 1, kTransactionBytesMax);
  if (!bytes.ok()) return bytes.status();
  Result<Transaction> tx = Transaction::Decode(*bytes);
  if (!tx.ok()) return tx.status().Annotate("record.tx");
  return tx;
}

// ---- Writing ----

template <typename J>
void WritePayload(J& j, const Attestation& a) {
  j["subject"] = a.subject.Hex();
  j["category"] = CategoryCode(a.category);
  j["first_month"] = a.first_month;
  j["last_month"] = a.last_month;
  j["amount_fen"] = a.amount_fen;
  J attrs = J::object();
  for (const Attribute& at : a.attributes) attrs[at.key] = at.value;
  j["attributes"] = std::move(attrs);
  if (a.supersedes) j["supersedes"] = a.supersedes->Hex();
}

template <typename J>
void WritePayload(J& j, const HouseholdDeclaration& h) {
  j["household"] = h.household.Hex();
  J members = J::array();
  for (const Hash32& m : h.members) members.push_back(m.Hex());
  j["members"] = std::move(members);
  j["effective_from"] = h.effective_from;
}

template <typename J>
void WritePayload(J& j, const Consent& c) {
  j["household"] = c.household.Hex();
  j["form_hash"] = c.form_hash.Hex();
  j["valid_from_ms"] = c.valid_from_ms;
  if (c.valid_until_ms) j["valid_until_ms"] = *c.valid_until_ms;
}

template <typename J>
void WritePayload(J& j, const Enrollment& e) {
  j["household"] = e.household.Hex();
  j["programme"] = ProgrammeCode(e.programme);
  j["first_month"] = e.first_month;
  if (e.last_month) j["last_month"] = *e.last_month;
}

template <typename J>
void WritePayload(J& j, const AccessRecord& r) {
  j["caseworker"] = r.caseworker;
  j["agency"] = AgencyCode(r.agency);
  j["household"] = r.household.Hex();
  j["programme"] = ProgrammeCode(r.programme);
  j["purpose"] = AccessPurposeName(r.purpose);
  j["consent_tx"] = r.consent_tx.Hex();
  j["receipt_hash"] = r.receipt_hash.Hex();
  j["access_time_ms"] = r.access_time_ms;
}

template <typename J>
void WritePayload(J& j, const RuleSet& r) {
  j["programme"] = ProgrammeCode(r.programme);
  j["version"] = r.version;
  j["effective_from"] = r.effective_from;
  j["rules_json"] = r.rules_json;
}

template <typename J>
void WritePayload(J& j, const KeyEvent& k) {
  j["action"] = KeyActionName(k.action);
  j["agency"] = AgencyCode(k.agency);
  j["key_suite"] = SuiteName(k.key_suite);
  j["key_raw"] = ToHex(k.key_raw);
  j["reason"] = k.reason;
}

template <typename J>
J ToJson(const Transaction& tx) {
  const TxBody& b = tx.body();
  J j = J::object();
  j["kind"] = TxKindName(b.kind());
  j["suite"] = SuiteName(b.suite);
  j["chain_id"] = b.chain_id;
  j["signer"] = b.signer.Hex();
  j["issued_at_ms"] = b.issued_at_ms;
  j["nonce"] = b.nonce;
  std::visit([&j](const auto& p) { WritePayload(j, p); }, b.payload);
  j["signature"] = ToHex(tx.signature());
  return j;
}

}  // namespace

std::string_view AccessPurposeName(AccessPurpose p) {
  switch (p) {
    case AccessPurpose::kEligibilityCheck: return "eligibility_check";
    case AccessPurpose::kHistoryRead: return "history_read";
  }
  return "unknown";
}

Result<AccessPurpose> ParseAccessPurpose(std::string_view name) {
  if (name == "eligibility_check") return AccessPurpose::kEligibilityCheck;
  if (name == "history_read") return AccessPurpose::kHistoryRead;
  return Status::InvalidArgument("unknown access purpose '" + std::string(name) +
                                 "' (expected eligibility_check or history_read)");
}

std::string_view KeyActionName(KeyAction a) {
  switch (a) {
    case KeyAction::kAdd: return "add";
    case KeyAction::kRevoke: return "revoke";
  }
  return "unknown";
}

Result<KeyAction> ParseKeyAction(std::string_view name) {
  if (name == "add") return KeyAction::kAdd;
  if (name == "revoke") return KeyAction::kRevoke;
  return Status::InvalidArgument("unknown key action '" + std::string(name) +
                                 "' (expected add or revoke)");
}

Result<Transaction> TransactionFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::InvalidArgument("record: expected a JSON object");
  if (j.contains("tx")) return FromHexForm(j);
  JsonFields f(j, "transaction");
  TxKind kind{};
  HEARTH_RETURN_IF_ERROR(Code(f, "kind", ParseTxKind, &kind));
  TxBody body;
  HEARTH_RETURN_IF_ERROR(Code(f, "suite", ParseSuite, &body.suite));
  HEARTH_RETURN_IF_ERROR(f.Str("chain_id", &body.chain_id));
  HEARTH_RETURN_IF_ERROR(f.Hash("signer", &body.signer));
  HEARTH_RETURN_IF_ERROR(f.U64("issued_at_ms", &body.issued_at_ms));
  HEARTH_RETURN_IF_ERROR(f.U64("nonce", &body.nonce));
  Bytes signature;
  HEARTH_RETURN_IF_ERROR(f.Hex("signature", 1, kSignatureBytesMax, &signature));
  f.set_prefix(std::string(TxKindName(kind)));
  HEARTH_RETURN_IF_ERROR(ReadPayloadOfKind(f, kind, &body.payload));
  HEARTH_RETURN_IF_ERROR(f.Finish());
  return Transaction::FromParts(std::move(body), std::move(signature));
}

Result<Transaction> ParseRecordLine(std::string_view line) {
  HEARTH_ASSIGN_OR_RETURN(
      json j, ParseJsonStrict(line, "record", kRecordJsonBytesMax, kRecordJsonDepthMax));
  return TransactionFromJson(j);
}

nlohmann::json TransactionToJson(const Transaction& tx) { return ToJson<json>(tx); }

std::string TransactionToJsonText(const Transaction& tx) {
  return ToJson<nlohmann::ordered_json>(tx).dump();
}

nlohmann::json TransactionToHexJson(const Transaction& tx) {
  return json{{"tx", ToHex(tx.Encode())}};
}

}  // namespace hearth::api
