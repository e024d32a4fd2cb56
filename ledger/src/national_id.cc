// PRC resident ID validation and pseudonymisation (national_id.h).
// Privacy: no message built here contains any character of the ID, case number or key.
#include "hearth/ledger/national_id.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hearth {

namespace {

constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheckChars[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
// Largest key file read: 64 hex digits, "\r\n" would already be refused; one byte of slack
// lets us say "too long" instead of silently truncating.
constexpr size_t kKeyFileBytesMax = 2 * kPseudonymKeyBytes + 2;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

uint32_t Digits(std::string_view s) {
  uint32_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint32_t>(c - '0');
  return v;
}

bool IsLeapYear(uint32_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

uint32_t DaysInMonth(uint32_t y, uint32_t m) {
  static constexpr uint32_t kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

Status IdError(const std::string& problem) {
  return Status::InvalidArgument("national id: " + problem);
}

Status CheckBirthDate(std::string_view yyyymmdd, uint32_t today_yyyymmdd) {
  const uint32_t year = Digits(yyyymmdd.substr(0, 4));
  const uint32_t month = Digits(yyyymmdd.substr(4, 2));
  const uint32_t day = Digits(yyyymmdd.substr(6, 2));
  if (year < kBirthYearMin) {
    return IdError("year of birth is before " + std::to_string(kBirthYearMin));
  }
  if (month < 1 || month > 12) return IdError("month of birth is not 01..12");
  if (day < 1 || day > DaysInMonth(year, month)) {
    return IdError("day of birth is not a day of that month (leap years included)");
  }
  if (today_yyyymmdd != 0 && year * 10000 + month * 100 + day > today_yyyymmdd) {
    return IdError("date of birth is in the future");
  }
  return Status::Ok();
}

}  // namespace

char NationalIdCheckChar(std::string_view first17) {
  HEARTH_CHECK(first17.size() == 17);
  int sum = 0;
  for (size_t i = 0; i < 17; ++i) {
    HEARTH_CHECK(IsDigit(first17[i]));
    sum += (first17[i] - '0') * kWeights[i];
  }
  return kCheckChars[sum % 11];
}

Result<std::string> NormaliseNationalId(std::string_view raw, uint32_t today_yyyymmdd) {
  const std::string_view id = Trim(raw);
  if (id.size() != kNationalIdLength) {
    return IdError("length " + std::to_string(id.size()) + ", expected " +
                   std::to_string(kNationalIdLength));
  }
  for (size_t i = 0; i < 17; ++i) {
    if (!IsDigit(id[i])) {
      return IdError("character " + std::to_string(i + 1) + " is not a digit");
    }
  }
  std::string out(id);
  if (out[17] == 'x') out[17] = 'X';
  if (!IsDigit(out[17]) && out[17] != 'X') {
    return IdError("character 18 (the check character) is not a digit or X");
  }
  if (out[0] == '0') return IdError("region code starts with 0");
  HEARTH_RETURN_IF_ERROR(CheckBirthDate(std::string_view(out).substr(6, 8), today_yyyymmdd));
  if (NationalIdCheckChar(std::string_view(out).substr(0, 17)) != out[17]) {
    return IdError("check character does not match (ISO 7064 MOD 11-2)");
  }
  return out;
}

Status ValidateCaseNumber(std::string_view case_number) {
  if (case_number.empty() || case_number.size() > kCaseNumberBytesMax) {
    return Status::InvalidArgument("case number: length " + std::to_string(case_number.size()) +
                                   " outside 1.." + std::to_string(kCaseNumberBytesMax));
  }
  for (char c : case_number) {
    bool ok = IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
    if (!ok) return Status::InvalidArgument("case number: characters must be [A-Za-z0-9-]");
  }
  return Status::Ok();
}

PseudonymKey PseudonymKey::FromBytes(ByteView key) {
  HEARTH_CHECK(key.size() == kPseudonymKeyBytes);
  PseudonymKey k;
  std::memcpy(k.key_.data(), key.data(), kPseudonymKeyBytes);
  return k;
}

Result<PseudonymKey> PseudonymKey::Parse(std::string_view text) {
  std::string_view hex = text;
  if (!hex.empty() && hex.back() == '\n') hex.remove_suffix(1);
  if (hex.size() != 2 * kPseudonymKeyBytes) {
    return Status::InvalidArgument(
        "pseudonym key: expected exactly 64 hex digits and an optional newline, got " +
        std::to_string(text.size()) + " bytes");
  }
  auto bytes = FromHex(hex);
  if (!bytes.ok()) {
    return Status::InvalidArgument("pseudonym key: expected exactly 64 hex digits (0-9a-f)");
  }
  return FromBytes(*bytes);
}

Result<PseudonymKey> PseudonymKey::LoadFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::InvalidArgument("pseudonym key file " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  std::string text(kKeyFileBytesMax + 1, '\0');
  ssize_t got = -1;
  Status status;
  if (::fstat(fd, &st) != 0) {
    status = Status::IOError("pseudonym key file " + path + ": " + std::strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    status = Status::InvalidArgument("pseudonym key file " + path + ": not a regular file");
  } else if ((st.st_mode & 077) != 0) {
    // Like ssh: a key others can read is refused rather than used.
    status = Status::InvalidArgument("pseudonym key file " + path +
                                     ": permissions are too open (group or others have "
                                     "access); run chmod 600 on it");
  } else {
    got = ::read(fd, text.data(), text.size());
    if (got < 0) {
      status = Status::IOError("pseudonym key file " + path + ": " + std::strerror(errno));
    }
  }
  ::close(fd);
  HEARTH_RETURN_IF_ERROR(status);
  text.resize(static_cast<size_t>(got));
  auto key = Parse(text);
  if (!key.ok()) return key.status().Annotate("pseudonym key file " + path);
  return key;
}

Result<Hash32> SubjectId(Suite suite, const PseudonymKey& key, std::string_view raw_id,
                         uint32_t today_yyyymmdd) {
  HEARTH_ASSIGN_OR_RETURN(std::string id, NormaliseNationalId(raw_id, today_yyyymmdd));
  std::string data(kSubjectContext);
  data += id;
  return SuiteHmac(suite, key.bytes(), AsBytes(data));
}

Result<Hash32> HouseholdId(Suite suite, const PseudonymKey& key, std::string_view case_number) {
  HEARTH_RETURN_IF_ERROR(ValidateCaseNumber(case_number));
  std::string data(kHouseholdContext);
  data += case_number;
  return SuiteHmac(suite, key.bytes(), AsBytes(data));
}

}  // namespace hearth
