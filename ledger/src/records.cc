// Validation of record payloads (records.h). The byte layout is in records_codec.cc.
#include "hearth/ledger/records.h"

#include <string>

namespace hearth {

namespace {

Status Bad(std::string_view field, const std::string& problem) {
  std::string m(field);
  m += ": ";
  m += problem;
  return Status::InvalidArgument(std::move(m));
}

Status CheckNonZero(std::string_view field, const Hash32& h) {
  if (h.IsZero()) return Bad(field, "all-zero id");
  return Status::Ok();
}

bool IsAttributeKey(std::string_view k) {
  if (k.empty() || k.size() > kAttributeKeyBytesMax) return false;
  if (k[0] < 'a' || k[0] > 'z') return false;
  for (char c : k) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool IsCaseworkerChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '@' || c == '-';
}

Status CheckMonthSpan(std::string_view first_field, uint32_t first, std::string_view last_field,
                      uint32_t last) {
  HEARTH_RETURN_IF_ERROR(CheckMonth(first_field, first));
  HEARTH_RETURN_IF_ERROR(CheckMonth(last_field, last));
  if (first > last) {
    return Bad(last_field, "month " + std::to_string(last) + " is before first month " +
                               std::to_string(first));
  }
  return Status::Ok();
}

Status CheckAmount(const Attestation& r) {
  const CategoryInfo& info = InfoOf(r.category);
  const int64_t a = r.amount_fen;
  const std::string_view cat = info.code;
  if (info.amount_rule == AmountRule::kZero) {
    if (a != 0) return Bad("attestation.amount_fen", "must be 0 for status category " + std::string(cat));
    return Status::Ok();
  }
  const int64_t max = info.klass == CategoryClass::kAsset ? kAssetFenMax : kAmountFenAbsMax;
  if (info.amount_rule == AmountRule::kNonNegative && a < 0) {
    return Bad("attestation.amount_fen",
               std::to_string(a) + " is negative; category " + std::string(cat) + " allows 0.." +
                   std::to_string(max));
  }
  if (a > max || a < -max) {
    return Bad("attestation.amount_fen",
               std::to_string(a) + " exceeds the bound " + std::to_string(max) + " fen");
  }
  return Status::Ok();
}

Status CheckAttributes(const std::vector<Attribute>& attrs) {
  if (attrs.size() > kAttributesMax) {
    return Bad("attestation.attributes", "count " + std::to_string(attrs.size()) +
                                             " exceeds maximum " +
                                             std::to_string(kAttributesMax));
  }
  for (size_t i = 0; i < attrs.size(); ++i) {
    const Attribute& a = attrs[i];
    // Built only on failure: validation runs on every decode.
    auto where = [i] { return "attestation.attributes[" + std::to_string(i) + "]"; };
    if (!IsAttributeKey(a.key)) {
      return Bad(where() + ".key", "must be 1.." + std::to_string(kAttributeKeyBytesMax) +
                                     " of [a-z0-9_] starting with a letter");
    }
    if (a.value.empty() || a.value.size() > kAttributeValueBytesMax || !IsValidUtf8(a.value)) {
      return Bad(where() + ".value", "must be 1.." + std::to_string(kAttributeValueBytesMax) +
                                       " bytes of UTF-8 without NUL");
    }
    if (i > 0 && !(attrs[i - 1].key < a.key)) {
      return Bad(where() + ".key", "'" + a.key + "' is not after '" + attrs[i - 1].key +
                                     "' (keys sorted, unique)");
    }
  }
  return Status::Ok();
}

}  // namespace

bool IsValidMonth(uint32_t m) {
  const uint32_t year = m / 100;
  const uint32_t month = m % 100;
  return year >= kMonthYearMin && year <= kMonthYearMax && month >= 1 && month <= 12;
}

uint32_t MonthsBetweenInclusive(uint32_t first, uint32_t last) {
  HEARTH_CHECK(IsValidMonth(first) && IsValidMonth(last) && first <= last);
  const uint32_t a = (first / 100) * 12 + (first % 100 - 1);
  const uint32_t b = (last / 100) * 12 + (last % 100 - 1);
  return b - a + 1;
}

uint32_t NextMonth(uint32_t m) {
  HEARTH_CHECK(IsValidMonth(m));
  return m % 100 == 12 ? (m / 100 + 1) * 100 + 1 : m + 1;
}

Status CheckMonth(std::string_view field, uint32_t m) {
  if (!IsValidMonth(m)) {
    return Bad(field, "month " + std::to_string(m) + " is not YYYYMM with year " +
                          std::to_string(kMonthYearMin) + ".." + std::to_string(kMonthYearMax) +
                          " and month 01..12");
  }
  return Status::Ok();
}

Status CheckTimeMs(std::string_view field, uint64_t t_ms) {
  if (t_ms < kTimeMsMin || t_ms >= kTimeMsMax) {
    return Bad(field, "time " + std::to_string(t_ms) +
                          " ms is outside [2000-01-01, 2200-01-01) in unix milliseconds");
  }
  return Status::Ok();
}

Hash32 KeyEvent::KeyId() const { return SuiteHash(key_suite, key_raw); }

Status Validate(const Attestation& r) {
  HEARTH_RETURN_IF_ERROR(CheckNonZero("attestation.subject", r.subject));
  if (!CategoryFromWire(static_cast<uint16_t>(r.category)).ok()) {
    return Bad("attestation.category",
               "unknown category value " + std::to_string(static_cast<uint16_t>(r.category)));
  }
  HEARTH_RETURN_IF_ERROR(CheckMonthSpan("attestation.first_month", r.first_month,
                                        "attestation.last_month", r.last_month));
  const uint32_t months = MonthsBetweenInclusive(r.first_month, r.last_month);
  if (months > kAttestationMonthsMax) {
    return Bad("attestation.last_month", "covers " + std::to_string(months) +
                                             " months, maximum " +
                                             std::to_string(kAttestationMonthsMax));
  }
  HEARTH_RETURN_IF_ERROR(CheckAmount(r));
  HEARTH_RETURN_IF_ERROR(CheckAttributes(r.attributes));
  if (r.supersedes.has_value()) {
    HEARTH_RETURN_IF_ERROR(CheckNonZero("attestation.supersedes", *r.supersedes));
  }
  return Status::Ok();
}

Status Validate(const HouseholdDeclaration& r) {
  HEARTH_RETURN_IF_ERROR(CheckNonZero("household.household", r.household));
  HEARTH_RETURN_IF_ERROR(CheckMonth("household.effective_from", r.effective_from));
  if (r.members.empty() || r.members.size() > kMembersMax) {
    return Bad("household.members", "count " + std::to_string(r.members.size()) +
                                        " outside 1.." + std::to_string(kMembersMax));
  }
  for (size_t i = 0; i < r.members.size(); ++i) {
    auto where = [i] { return "household.members[" + std::to_string(i) + "]"; };
    if (r.members[i].IsZero()) return Bad(where(), "all-zero id");
    if (i > 0 && !(r.members[i - 1] < r.members[i])) {
      return Bad(where(), "not after the previous member (members sorted ascending, unique)");
    }
  }
  return Status::Ok();
}

Status Validate(const Consent& r) {
  HEARTH_RETURN_IF_ERROR(CheckNonZero("consent.household", r.household));
  HEARTH_RETURN_IF_ERROR(CheckNonZero("consent.form_hash", r.form_hash));
  HEARTH_RETURN_IF_ERROR(CheckTimeMs("consent.valid_from_ms", r.valid_from_ms));
  if (r.valid_until_ms.has_value()) {
    HEARTH_RETURN_IF_ERROR(CheckTimeMs("consent.valid_until_ms", *r.valid_until_ms));
    if (*r.valid_until_ms <= r.valid_from_ms) {
      return Bad("consent.valid_until_ms", "must be after valid_from_ms");
    }
  }
  return Status::Ok();
}

Status Validate(const Enrollment& r) {
  HEARTH_RETURN_IF_ERROR(CheckNonZero("enrollment.household", r.household));
  if (!ProgrammeFromWire(static_cast<uint8_t>(r.programme)).ok()) {
    return Bad("enrollment.programme", "unknown programme value " +
                                           std::to_string(static_cast<uint8_t>(r.programme)));
  }
  HEARTH_RETURN_IF_ERROR(CheckMonth("enrollment.first_month", r.first_month));
  if (r.last_month.has_value()) {
    HEARTH_RETURN_IF_ERROR(CheckMonthSpan("enrollment.first_month", r.first_month,
                                          "enrollment.last_month", *r.last_month));
  }
  return Status::Ok();
}

Status Validate(const AccessRecord& r) {
  if (r.caseworker.empty() || r.caseworker.size() > kCaseworkerIdBytesMax) {
    return Bad("access.caseworker", "length " + std::to_string(r.caseworker.size()) +
                                        " outside 1.." + std::to_string(kCaseworkerIdBytesMax));
  }
  for (char c : r.caseworker) {
    if (!IsCaseworkerChar(c)) return Bad("access.caseworker", "characters must be [A-Za-z0-9._@-]");
  }
  if (!AgencyFromWire(static_cast<uint8_t>(r.agency)).ok()) {
    return Bad("access.agency", "unknown agency value " +
                                    std::to_string(static_cast<uint8_t>(r.agency)));
  }
  HEARTH_RETURN_IF_ERROR(CheckNonZero("access.household", r.household));
  if (!ProgrammeFromWire(static_cast<uint8_t>(r.programme)).ok()) {
    return Bad("access.programme", "unknown programme value " +
                                       std::to_string(static_cast<uint8_t>(r.programme)));
  }
  if (r.purpose != AccessPurpose::kEligibilityCheck && r.purpose != AccessPurpose::kHistoryRead) {
    return Bad("access.purpose", "unknown purpose value " +
                                     std::to_string(static_cast<uint8_t>(r.purpose)));
  }
  HEARTH_RETURN_IF_ERROR(CheckNonZero("access.consent_tx", r.consent_tx));
  HEARTH_RETURN_IF_ERROR(CheckNonZero("access.receipt_hash", r.receipt_hash));
  return CheckTimeMs("access.access_time_ms", r.access_time_ms);
}

Status Validate(const RuleSet& r) {
  if (!ProgrammeFromWire(static_cast<uint8_t>(r.programme)).ok()) {
    return Bad("ruleset.programme", "unknown programme value " +
                                        std::to_string(static_cast<uint8_t>(r.programme)));
  }
  if (r.version == 0) return Bad("ruleset.version", "must be >= 1");
  HEARTH_RETURN_IF_ERROR(CheckMonth("ruleset.effective_from", r.effective_from));
  if (r.rules_json.empty() || r.rules_json.size() > kRuleSetJsonBytesMax ||
      !IsValidUtf8(r.rules_json)) {
    return Bad("ruleset.rules_json", "must be 1.." + std::to_string(kRuleSetJsonBytesMax) +
                                         " bytes of UTF-8 without NUL");
  }
  return Status::Ok();
}

Status Validate(const KeyEvent& r) {
  if (r.action != KeyAction::kAdd && r.action != KeyAction::kRevoke) {
    return Bad("keyevent.action", "unknown action value " +
                                      std::to_string(static_cast<uint8_t>(r.action)));
  }
  if (!AgencyFromWire(static_cast<uint8_t>(r.agency)).ok()) {
    return Bad("keyevent.agency", "unknown agency value " +
                                      std::to_string(static_cast<uint8_t>(r.agency)));
  }
  if (!SuiteFromByte(static_cast<uint8_t>(r.key_suite)).ok()) {
    return Bad("keyevent.key_suite", "unknown suite value " +
                                         std::to_string(static_cast<uint8_t>(r.key_suite)));
  }
  // PublicKey::FromRaw checks the length and, for SM2, that the point is on the curve, so
  // a key event can never announce a key nobody could verify with.
  auto key = PublicKey::FromRaw(r.key_suite, r.key_raw);
  if (!key.ok()) return Bad("keyevent.key_raw", key.status().message());
  if (r.reason.size() > kKeyEventReasonBytesMax || !IsValidUtf8(r.reason)) {
    return Bad("keyevent.reason", "must be 0.." + std::to_string(kKeyEventReasonBytesMax) +
                                      " bytes of UTF-8 without NUL");
  }
  return Status::Ok();
}

}  // namespace hearth
