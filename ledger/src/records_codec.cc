// Canonical byte layout of record payloads (records.h; docs/FORMAT.md "Record payloads").
// Every decoder reads the fields in order with named limits, then runs Validate, so only
// canonical values come out. Encoders trust their input: EncodeTxBody (the only caller)
// has validated the whole body once already.
#include <string>

#include "hearth/ledger/records.h"

namespace hearth {

namespace {

// The Validate message plus where the payload started, so errors say what and where.
Status ValidateAt(const Status& s, size_t payload_offset) {
  if (s.ok()) return s;
  return Status::InvalidArgument(s.message() + " (payload at offset " +
                                 std::to_string(payload_offset) + ")");
}

template <typename T>
Status Finish(const T& out, size_t start) {
  return ValidateAt(Validate(out), start);
}

Status ReadOptionalHash(Reader& r, std::string_view field, std::optional<Hash32>* out) {
  bool present = false;
  HEARTH_RETURN_IF_ERROR(r.Bool(field, &present));
  if (!present) {
    out->reset();
    return Status::Ok();
  }
  Hash32 h;
  HEARTH_RETURN_IF_ERROR(r.Hash(field, &h));
  *out = h;
  return Status::Ok();
}

}  // namespace

// ---- Attestation ----
void EncodePayload(const Attestation& r, Writer& w) {
  w.Hash(r.subject);
  w.U16(static_cast<uint16_t>(r.category));
  w.U32(r.first_month);
  w.U32(r.last_month);
  w.I64(r.amount_fen);
  w.Count(r.attributes.size());
  for (const Attribute& a : r.attributes) {
    w.Str(a.key);
    w.Str(a.value);
  }
  w.Bool(r.supersedes.has_value());
  if (r.supersedes.has_value()) w.Hash(*r.supersedes);
}

Status DecodePayload(Reader& r, Attestation* out) {
  const size_t start = r.offset();
  uint16_t category = 0;
  HEARTH_RETURN_IF_ERROR(r.Hash("attestation.subject", &out->subject));
  HEARTH_RETURN_IF_ERROR(r.U16("attestation.category", &category));
  auto c = CategoryFromWire(category);
  if (!c.ok()) return r.Error("attestation.category", c.status().message());
  out->category = *c;
  HEARTH_RETURN_IF_ERROR(r.U32("attestation.first_month", &out->first_month));
  HEARTH_RETURN_IF_ERROR(r.U32("attestation.last_month", &out->last_month));
  HEARTH_RETURN_IF_ERROR(r.I64("attestation.amount_fen", &out->amount_fen));
  size_t n = 0;
  // Each attribute is at least two 4-byte lengths and 2 bytes of text.
  HEARTH_RETURN_IF_ERROR(r.Count("attestation.attributes", kAttributesMax, 10, &n));
  out->attributes.assign(n, Attribute{});
  for (Attribute& a : out->attributes) {
    HEARTH_RETURN_IF_ERROR(r.Str("attestation.attribute.key", kAttributeKeyBytesMax, &a.key));
    HEARTH_RETURN_IF_ERROR(
        r.Str("attestation.attribute.value", kAttributeValueBytesMax, &a.value));
  }
  HEARTH_RETURN_IF_ERROR(ReadOptionalHash(r, "attestation.supersedes", &out->supersedes));
  return Finish(*out, start);
}

// ---- HouseholdDeclaration ----
void EncodePayload(const HouseholdDeclaration& r, Writer& w) {
  w.Hash(r.household);
  w.U32(r.effective_from);
  w.Count(r.members.size());
  for (const Hash32& m : r.members) w.Hash(m);
}

Status DecodePayload(Reader& r, HouseholdDeclaration* out) {
  const size_t start = r.offset();
  HEARTH_RETURN_IF_ERROR(r.Hash("household.household", &out->household));
  HEARTH_RETURN_IF_ERROR(r.U32("household.effective_from", &out->effective_from));
  size_t n = 0;
  HEARTH_RETURN_IF_ERROR(r.Count("household.members", kMembersMax, Hash32::kSize, &n));
  out->members.assign(n, Hash32{});
  for (Hash32& m : out->members) HEARTH_RETURN_IF_ERROR(r.Hash("household.member", &m));
  return Finish(*out, start);
}

// ---- Consent ----
void EncodePayload(const Consent& r, Writer& w) {
  w.Hash(r.household);
  w.Hash(r.form_hash);
  w.U64(r.valid_from_ms);
  w.Bool(r.valid_until_ms.has_value());
  if (r.valid_until_ms.has_value()) w.U64(*r.valid_until_ms);
}

Status DecodePayload(Reader& r, Consent* out) {
  const size_t start = r.offset();
  HEARTH_RETURN_IF_ERROR(r.Hash("consent.household", &out->household));
  HEARTH_RETURN_IF_ERROR(r.Hash("consent.form_hash", &out->form_hash));
  HEARTH_RETURN_IF_ERROR(r.U64("consent.valid_from_ms", &out->valid_from_ms));
  bool has_until = false;
  HEARTH_RETURN_IF_ERROR(r.Bool("consent.valid_until_ms", &has_until));
  out->valid_until_ms.reset();
  if (has_until) {
    uint64_t until = 0;
    HEARTH_RETURN_IF_ERROR(r.U64("consent.valid_until_ms", &until));
    out->valid_until_ms = until;
  }
  return Finish(*out, start);
}

// ---- Enrollment ----
void EncodePayload(const Enrollment& r, Writer& w) {
  w.Hash(r.household);
  w.U8(static_cast<uint8_t>(r.programme));
  w.U32(r.first_month);
  w.Bool(r.last_month.has_value());
  if (r.last_month.has_value()) w.U32(*r.last_month);
}

Status DecodePayload(Reader& r, Enrollment* out) {
  const size_t start = r.offset();
  HEARTH_RETURN_IF_ERROR(r.Hash("enrollment.household", &out->household));
  uint8_t programme = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("enrollment.programme", &programme));
  auto p = ProgrammeFromWire(programme);
  if (!p.ok()) return r.Error("enrollment.programme", p.status().message());
  out->programme = *p;
  HEARTH_RETURN_IF_ERROR(r.U32("enrollment.first_month", &out->first_month));
  bool has_last = false;
  HEARTH_RETURN_IF_ERROR(r.Bool("enrollment.last_month", &has_last));
  out->last_month.reset();
  if (has_last) {
    uint32_t last = 0;
    HEARTH_RETURN_IF_ERROR(r.U32("enrollment.last_month", &last));
    out->last_month = last;
  }
  return Finish(*out, start);
}

// ---- AccessRecord ----
void EncodePayload(const AccessRecord& r, Writer& w) {
  w.Str(r.caseworker);
  w.U8(static_cast<uint8_t>(r.agency));
  w.Hash(r.household);
  w.U8(static_cast<uint8_t>(r.programme));
  w.U8(static_cast<uint8_t>(r.purpose));
  w.Hash(r.consent_tx);
  w.Hash(r.receipt_hash);
  w.U64(r.access_time_ms);
}

Status DecodePayload(Reader& r, AccessRecord* out) {
  const size_t start = r.offset();
  HEARTH_RETURN_IF_ERROR(r.Str("access.caseworker", kCaseworkerIdBytesMax, &out->caseworker));
  uint8_t agency = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("access.agency", &agency));
  auto a = AgencyFromWire(agency);
  if (!a.ok()) return r.Error("access.agency", a.status().message());
  out->agency = *a;
  HEARTH_RETURN_IF_ERROR(r.Hash("access.household", &out->household));
  uint8_t programme = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("access.programme", &programme));
  auto p = ProgrammeFromWire(programme);
  if (!p.ok()) return r.Error("access.programme", p.status().message());
  out->programme = *p;
  uint8_t purpose = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("access.purpose", &purpose));
  out->purpose = static_cast<AccessPurpose>(purpose);  // Validate rejects unknown values
  HEARTH_RETURN_IF_ERROR(r.Hash("access.consent_tx", &out->consent_tx));
  HEARTH_RETURN_IF_ERROR(r.Hash("access.receipt_hash", &out->receipt_hash));
  HEARTH_RETURN_IF_ERROR(r.U64("access.access_time_ms", &out->access_time_ms));
  return Finish(*out, start);
}

// ---- RuleSet ----
void EncodePayload(const RuleSet& r, Writer& w) {
  w.U8(static_cast<uint8_t>(r.programme));
  w.U32(r.version);
  w.U32(r.effective_from);
  w.Str(r.rules_json);
}

Status DecodePayload(Reader& r, RuleSet* out) {
  const size_t start = r.offset();
  uint8_t programme = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("ruleset.programme", &programme));
  auto p = ProgrammeFromWire(programme);
  if (!p.ok()) return r.Error("ruleset.programme", p.status().message());
  out->programme = *p;
  HEARTH_RETURN_IF_ERROR(r.U32("ruleset.version", &out->version));
  HEARTH_RETURN_IF_ERROR(r.U32("ruleset.effective_from", &out->effective_from));
  HEARTH_RETURN_IF_ERROR(r.Str("ruleset.rules_json", kRuleSetJsonBytesMax, &out->rules_json));
  return Finish(*out, start);
}

// ---- KeyEvent ----
void EncodePayload(const KeyEvent& r, Writer& w) {
  w.U8(static_cast<uint8_t>(r.action));
  w.U8(static_cast<uint8_t>(r.agency));
  w.U8(static_cast<uint8_t>(r.key_suite));
  w.Blob(r.key_raw);
  w.Str(r.reason);
}

Status DecodePayload(Reader& r, KeyEvent* out) {
  const size_t start = r.offset();
  uint8_t action = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("keyevent.action", &action));
  out->action = static_cast<KeyAction>(action);  // Validate rejects unknown values
  uint8_t agency = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("keyevent.agency", &agency));
  auto a = AgencyFromWire(agency);
  if (!a.ok()) return r.Error("keyevent.agency", a.status().message());
  out->agency = *a;
  uint8_t suite = 0;
  HEARTH_RETURN_IF_ERROR(r.U8("keyevent.key_suite", &suite));
  auto s = SuiteFromByte(suite);
  if (!s.ok()) return r.Error("keyevent.key_suite", s.status().message());
  out->key_suite = *s;
  HEARTH_RETURN_IF_ERROR(r.Blob("keyevent.key_raw", kPublicKeyBytesMax, &out->key_raw));
  HEARTH_RETURN_IF_ERROR(r.Str("keyevent.reason", kKeyEventReasonBytesMax, &out->reason));
  return Finish(*out, start);
}

}  // namespace hearth
