// national_id.h: PRC resident ID validation (GB 11643-1999) and pseudonymisation into
// subject and household ids (DESIGN.md "Identity and privacy").
//
// Contract:
//  - Error messages NEVER contain the ID or any of its digits, nor the case number: they
//    say what is wrong ("check digit does not match", "month 13 in date of birth",
//    "length 17, expected 18"). Callers must not add the input to messages either.
//  - Normalisation: surrounding ASCII spaces/tabs/newlines trimmed, a final 'x' upper-cased.
//  - Validation: 18 characters = 17 digits + check character (digit or X); region code
//    (first 6 digits) not starting with 0; date of birth YYYYMMDD a real calendar date with
//    year >= 1900 and, when `today_yyyymmdd` != 0, not after today; ISO 7064 MOD 11-2
//    check character.
//  - SubjectId  = SuiteHmac(suite, key, "hearth/subject/v1" ‖ normalised id)
//    HouseholdId = SuiteHmac(suite, key, "hearth/household/v1" ‖ case number)
//    (the context strings are raw bytes without a length prefix; docs/FORMAT.md).
//  - A case number is 1..kCaseNumberBytesMax characters of [A-Za-z0-9-], used as given.
//  - Pseudonym key file: exactly 64 hex digits (32 bytes), optionally one trailing "\n";
//    refused when group- or world-accessible (mode & 077), like ssh does.
// Thread-safety: pure functions; LoadPseudonymKeyFile reads the file system.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"
#include "hearth/ledger/crypto.h"

namespace hearth {

inline constexpr size_t kNationalIdLength = 18;
inline constexpr size_t kCaseNumberBytesMax = 64;
inline constexpr size_t kPseudonymKeyBytes = 32;
inline constexpr uint32_t kBirthYearMin = 1900;
inline constexpr std::string_view kSubjectContext = "hearth/subject/v1";
inline constexpr std::string_view kHouseholdContext = "hearth/household/v1";

// ISO 7064 MOD 11-2 check character ('0'..'9' or 'X') of 17 digits.
// REQUIRES: first17 is 17 ASCII digits.
char NationalIdCheckChar(std::string_view first17);

// Validates and returns the normalised 18-character ID. `today_yyyymmdd` (e.g. 20250131)
// bounds the date of birth; 0 skips that check.
Result<std::string> NormaliseNationalId(std::string_view raw, uint32_t today_yyyymmdd = 0);

// Validates a case number (no normalisation: case numbers are compared exactly).
Status ValidateCaseNumber(std::string_view case_number);

// The consortium pseudonym key. Never logged, never on chain.
class PseudonymKey {
 public:
  // REQUIRES: key.size() == kPseudonymKeyBytes.
  static PseudonymKey FromBytes(ByteView key);
  // Parses the key file text (64 hex digits, optional trailing newline).
  static Result<PseudonymKey> Parse(std::string_view text);
  // Reads and parses a key file, checking its permissions first.
  static Result<PseudonymKey> LoadFile(const std::string& path);

  ByteView bytes() const { return ByteView(key_.data(), key_.size()); }

 private:
  std::array<uint8_t, kPseudonymKeyBytes> key_{};
};

// Validates and normalises `raw_id`, then derives the subject id.
Result<Hash32> SubjectId(Suite suite, const PseudonymKey& key, std::string_view raw_id,
                         uint32_t today_yyyymmdd = 0);
// Validates `case_number`, then derives the household id.
Result<Hash32> HouseholdId(Suite suite, const PseudonymKey& key, std::string_view case_number);

}  // namespace hearth
