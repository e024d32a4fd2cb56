// records.h: the payloads of the seven on-chain record kinds (DESIGN.md "On-chain
// records"), their limits, and their canonical encoding. transaction.h wraps a payload in
// the signed envelope; docs/FORMAT.md documents every byte.
//
// Contract:
//  - One encode and one decode per payload. Decode runs Validate, so a decoded value is
//    always valid and decode(encode(x)) == x; only canonical bytes decode.
//  - Validate checks every named limit and canonical rule below (sorted unique attributes
//    and members, valid YYYYMM months with first <= last, amounts within bounds, timestamps
//    within [kTimeMsMin, kTimeMsMax), known enum values) and names the field that failed.
//  - Encoding REQUIRES a valid value: callers build records from input and call Validate
//    first; EncodeTxBody (transaction.h) enforces it with a HEARTH_CHECK, so an invalid
//    record reaching an encoder is a bug, never a silently written non-canonical byte.
// Amounts are integer fen (1/100 yuan) per month covered; never floating point.
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/codec.h"
#include "hearth/base/status.h"
#include "hearth/ledger/categories.h"
#include "hearth/ledger/crypto.h"

namespace hearth {

// ---- Named limits (FORMAT.md "Limits") ----
inline constexpr uint32_t kMonthYearMin = 1900;
inline constexpr uint32_t kMonthYearMax = 2200;
// Unix milliseconds: 2000-01-01T00:00:00Z inclusive .. 2200-01-01T00:00:00Z exclusive.
inline constexpr uint64_t kTimeMsMin = 946'684'800'000ULL;
inline constexpr uint64_t kTimeMsMax = 7'258'118'400'000ULL;
// Income, deduction and excluded amounts: |fen per month| <= 10^10 (100 million yuan).
inline constexpr int64_t kAmountFenAbsMax = 10'000'000'000LL;
// Asset values and balances: <= 10^14 fen (10^12 yuan).
inline constexpr int64_t kAssetFenMax = 100'000'000'000'000LL;
inline constexpr size_t kAttributesMax = 16;
inline constexpr size_t kAttributeKeyBytesMax = 32;     // [a-z0-9_], starts with a letter
inline constexpr size_t kAttributeValueBytesMax = 128;  // UTF-8, no NUL, non-empty
inline constexpr uint32_t kAttestationMonthsMax = 120;  // months covered by one attestation
inline constexpr size_t kMembersMax = 32;
inline constexpr size_t kCaseworkerIdBytesMax = 64;     // [A-Za-z0-9._@-], non-empty
inline constexpr size_t kRuleSetJsonBytesMax = 64 * 1024;
inline constexpr size_t kKeyEventReasonBytesMax = 256;  // UTF-8, may be empty

// ---- Months (YYYYMM integers) ----
// True when m = YYYY*100+MM with kMonthYearMin <= YYYY <= kMonthYearMax and 1 <= MM <= 12.
bool IsValidMonth(uint32_t m);
// Number of months in [first, last], both valid and first <= last.
uint32_t MonthsBetweenInclusive(uint32_t first, uint32_t last);
// The month after `m` (REQUIRES: IsValidMonth(m)).
uint32_t NextMonth(uint32_t m);
// OK when valid, else InvalidArgument "<field>: month 202213 is not YYYYMM ...".
Status CheckMonth(std::string_view field, uint32_t m);
Status CheckTimeMs(std::string_view field, uint64_t t_ms);

// ---- Payloads ----

struct Attribute {
  std::string key;
  std::string value;
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

// An agency's statement about one subject for a span of months.
struct Attestation {
  Hash32 subject;
  Category category = Category::kWage;
  uint32_t first_month = 0;  // YYYYMM
  uint32_t last_month = 0;   // YYYYMM, >= first_month, span <= kAttestationMonthsMax
  int64_t amount_fen = 0;    // per month covered; see AmountRule of the category
  std::vector<Attribute> attributes;  // sorted by key, keys unique, <= kAttributesMax
  std::optional<Hash32> supersedes;   // tx id of the attestation this one corrects
  friend bool operator==(const Attestation&, const Attestation&) = default;
};

// Who belongs to a household from a month on (civil affairs).
struct HouseholdDeclaration {
  Hash32 household;
  std::vector<Hash32> members;  // subject ids, sorted ascending, unique, 1..kMembersMax
  uint32_t effective_from = 0;  // YYYYMM
  friend bool operator==(const HouseholdDeclaration&, const HouseholdDeclaration&) = default;
};

// A household's signed authorisation (授权书) to query its data.
struct Consent {
  Hash32 household;
  Hash32 form_hash;                     // suite hash of the scanned/signed form
  uint64_t valid_from_ms = 0;           // unix ms
  std::optional<uint64_t> valid_until_ms;  // > valid_from_ms; absent = until withdrawn
  friend bool operator==(const Consent&, const Consent&) = default;
};

// Who receives what: the change watch re-checks households with an open enrollment.
struct Enrollment {
  Hash32 household;
  Programme programme = Programme::kDibao;
  uint32_t first_month = 0;               // YYYYMM
  std::optional<uint32_t> last_month;     // YYYYMM >= first_month; absent = open-ended
  friend bool operator==(const Enrollment&, const Enrollment&) = default;
};

enum class AccessPurpose : uint8_t {
  kEligibilityCheck = 1,  // a check ran; receipt_hash is the receipt's hash
  kHistoryRead = 2,       // a household history was read; receipt_hash hashes the response
};

// Which caseworker looked at which household, why, under which consent.
struct AccessRecord {
  std::string caseworker;  // caseworker id, 1..kCaseworkerIdBytesMax of [A-Za-z0-9._@-]
  Agency agency = Agency::kCivilAffairs;
  Hash32 household;
  Programme programme = Programme::kDibao;
  AccessPurpose purpose = AccessPurpose::kEligibilityCheck;
  Hash32 consent_tx;       // tx id of the Consent record relied on
  Hash32 receipt_hash;
  uint64_t access_time_ms = 0;
  friend bool operator==(const AccessRecord&, const AccessRecord&) = default;
};

// A versioned eligibility rule set; `rules_json` is stored exactly as given (the engine
// in verify/ defines and checks its content).
struct RuleSet {
  Programme programme = Programme::kDibao;
  uint32_t version = 0;         // >= 1
  uint32_t effective_from = 0;  // YYYYMM
  std::string rules_json;       // UTF-8, 1..kRuleSetJsonBytesMax bytes
  friend bool operator==(const RuleSet&, const RuleSet&) = default;
};

enum class KeyAction : uint8_t { kAdd = 1, kRevoke = 2 };

// An agency adds or revokes one of its own issuer keys (signed by its node key).
struct KeyEvent {
  KeyAction action = KeyAction::kAdd;
  Agency agency = Agency::kCivilAffairs;
  Suite key_suite = Suite::kEd25519Sha256;  // must equal the transaction's suite
  Bytes key_raw;       // PublicKey::raw(): 32 bytes (Ed25519) or 65 bytes 0x04‖X‖Y (SM2)
  std::string reason;  // UTF-8, <= kKeyEventReasonBytesMax
  // Id of the key concerned: SuiteHash(key_suite, key_raw) (== PublicKey::Id()).
  Hash32 KeyId() const;
  friend bool operator==(const KeyEvent&, const KeyEvent&) = default;
};

// ---- Validation and payload codec (used by transaction.cc; payloads carry no tag of
// their own: the transaction envelope's kind byte says which one follows).
// EncodePayload REQUIRES Validate(r).ok() and does not re-check it. ----
Status Validate(const Attestation& r);
Status Validate(const HouseholdDeclaration& r);
Status Validate(const Consent& r);
Status Validate(const Enrollment& r);
Status Validate(const AccessRecord& r);
Status Validate(const RuleSet& r);
Status Validate(const KeyEvent& r);

void EncodePayload(const Attestation& r, Writer& w);
void EncodePayload(const HouseholdDeclaration& r, Writer& w);
void EncodePayload(const Consent& r, Writer& w);
void EncodePayload(const Enrollment& r, Writer& w);
void EncodePayload(const AccessRecord& r, Writer& w);
void EncodePayload(const RuleSet& r, Writer& w);
void EncodePayload(const KeyEvent& r, Writer& w);

// Each reads exactly its payload fields and validates them; the caller calls Finish.
Status DecodePayload(Reader& r, Attestation* out);
Status DecodePayload(Reader& r, HouseholdDeclaration* out);
Status DecodePayload(Reader& r, Consent* out);
Status DecodePayload(Reader& r, Enrollment* out);
Status DecodePayload(Reader& r, AccessRecord* out);
Status DecodePayload(Reader& r, RuleSet* out);
Status DecodePayload(Reader& r, KeyEvent* out);

}  // namespace hearth
