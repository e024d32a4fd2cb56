// National ID validation, normalisation, pseudonyms and the pseudonym key file.
// Check characters are recomputed here by an independent formula: ISO 7064 MOD 11-2 with
// weights 2^(17-i) mod 11 and check value (12 - sum mod 11) mod 11 (10 written X).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hearth/ledger/national_id.h"

using namespace hearth;

namespace {

char IndependentCheck(const std::string& first17) {
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[static_cast<size_t>(i)] - '0') * ((1 << (17 - i)) % 11);
  int v = (12 - sum % 11) % 11;
  return v == 10 ? 'X' : static_cast<char>('0' + v);
}

std::string WithCheck(const std::string& first17) { return first17 + IndependentCheck(first17); }

bool Mentions(const Status& s, std::string_view what) {
  return s.message().find(what) != std::string::npos;
}

// No error message may contain the ID or a run of 6+ of its characters.
void ExpectPrivate(const Status& s, const std::string& id) {
  INFO("message: " << s.message());
  for (size_t i = 0; i + 6 <= id.size(); ++i) {
    CHECK(s.message().find(id.substr(i, 6)) == std::string::npos);
  }
}

// A temp file with the given content and mode, removed on destruction.
struct TempFile {
  std::string path;
  TempFile(const std::string& content, mode_t mode) {
    char tmpl[] = "/tmp/hearth-key-XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    path = tmpl;
    REQUIRE(write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
    REQUIRE(fchmod(fd, mode) == 0);
    close(fd);
  }
  ~TempFile() { std::remove(path.c_str()); }
};

constexpr std::string_view kKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

}  // namespace

TEST_CASE("published sample IDs validate") {
  for (std::string id : {"11010519491231002X", "110101199003074477"}) {
    INFO(id);
    Result<std::string> n = NormaliseNationalId(id);
    REQUIRE(n.ok());
    CHECK(*n == id);
    CHECK(NationalIdCheckChar(id.substr(0, 17)) == id[17]);
  }
}

TEST_CASE("many generated IDs validate and agree with the independent check formula") {
  // Deterministic sweep: regions, every day of two years (one leap), sequence numbers.
  const char* regions[] = {"110105", "310104", "440524", "510107", "650102", "820000"};
  int checked = 0;
  for (int year : {1996, 2000, 1900, 2023}) {
    for (int month = 1; month <= 12; ++month) {
      for (int day = 1; day <= 31; ++day) {
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        int dim[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        if (day > dim[month - 1]) continue;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%s%04d%02d%02d%03d", regions[checked % 6], year, month,
                      day, checked % 1000);
        std::string id = WithCheck(buf);
        INFO(id);
        REQUIRE(NormaliseNationalId(id).ok());
        CHECK(NationalIdCheckChar(id.substr(0, 17)) == id[17]);
        ++checked;
      }
    }
  }
  CHECK(checked == 366 + 366 + 365 + 365);
}

TEST_CASE("normalisation trims spaces and upper-cases x") {
  Result<std::string> n = NormaliseNationalId("  11010519491231002x\n");
  REQUIRE(n.ok());
  CHECK(*n == "11010519491231002X");
}

TEST_CASE("each kind of invalid ID gets its own message, never echoing the ID") {
  struct Case {
    std::string id;
    std::string expect;
  };
  const std::string good = "11010519491231002X";
  std::vector<Case> cases = {
      {"11010519491231002", "length 17, expected 18"},
      {"11010519491231002XX", "length 19, expected 18"},
      {"", "length 0, expected 18"},
      {"1101051949123A002X", "character 14 is not a digit"},
      {"440524188001010014", "year of birth is before 1900"},  // a published sample from 1880
      {"110105194912310021", "check character does not match"},
      {"11010519491231002Y", "not a digit or X"},
      {WithCheck("01010519491231002"), "region code starts with 0"},
      {WithCheck("11010518991231002"), "year of birth is before 1900"},
      {WithCheck("11010519491331002"), "month of birth is not 01..12"},
      {WithCheck("11010519490031002"), "month of birth is not 01..12"},
      {WithCheck("11010519490230002"), "day of birth"},
      {WithCheck("11010519000229002"), "day of birth"},  // 1900 is not a leap year
      {WithCheck("11010519490100002"), "day of birth"},
  };
  for (const Case& c : cases) {
    INFO("case expecting: " << c.expect);
    Status s = NormaliseNationalId(c.id).status();
    CHECK(s.code() == Code::kInvalidArgument);
    CHECK(Mentions(s, c.expect));
    ExpectPrivate(s, c.id);
  }
  // 2000-02-29 is a real date (2000 is a leap year).
  CHECK(NormaliseNationalId(WithCheck("11010520000229002")).ok());
  // Not after today, when a today is given.
  const std::string future = WithCheck("11010520300101002");
  CHECK(NormaliseNationalId(future).ok());
  Status s = NormaliseNationalId(future, 20250101).status();
  CHECK(Mentions(s, "in the future"));
  ExpectPrivate(s, future);
  CHECK(NormaliseNationalId(good, 19491231).ok());
  CHECK_FALSE(NormaliseNationalId(good, 19491230).ok());
}

TEST_CASE("subject and household ids are the suite HMAC of context and input") {
  PseudonymKey key = *PseudonymKey::Parse(kKeyHex);
  Result<Hash32> a = SubjectId(Suite::kEd25519Sha256, key, "11010519491231002x");
  REQUIRE(a.ok());
  std::string data = "hearth/subject/v1" + std::string("11010519491231002X");
  CHECK(*a == SuiteHmac(Suite::kEd25519Sha256, key.bytes(), AsBytes(data)));
  // Independent values: HMAC-SHA256(key 00..1f, context ‖ input) from Python's hmac module.
  CHECK(a->Hex() == "a90e5df788c9b6057ab14b4d34775b781b195190769c9c7f64dc486d66e3f6d7");
  Result<Hash32> sm = SubjectId(Suite::kSm2Sm3, key, "11010519491231002X");
  REQUIRE(sm.ok());
  CHECK(*sm != *a);
  Result<Hash32> other_key = SubjectId(Suite::kEd25519Sha256, PseudonymKey::FromBytes(Hash32{}.view()),
                                       "11010519491231002X");
  REQUIRE(other_key.ok());
  CHECK(*other_key != *a);
  CHECK_FALSE(SubjectId(Suite::kEd25519Sha256, key, "110105194912310021").ok());

  Result<Hash32> h = HouseholdId(Suite::kEd25519Sha256, key, "TZ-2024-000123");
  REQUIRE(h.ok());
  std::string hdata = "hearth/household/v1" + std::string("TZ-2024-000123");
  CHECK(*h == SuiteHmac(Suite::kEd25519Sha256, key.bytes(), AsBytes(hdata)));
  CHECK(h->Hex() == "ae9bb1d438721f18bc572ea2cc5f6121379f1d2baad7b2ef6b2f935e14683734");
  CHECK(Mentions(HouseholdId(Suite::kEd25519Sha256, key, "").status(), "length 0"));
  CHECK(Mentions(HouseholdId(Suite::kEd25519Sha256, key, "TZ 1").status(), "[A-Za-z0-9-]"));
  CHECK_FALSE(HouseholdId(Suite::kEd25519Sha256, key, std::string(65, 'A')).ok());
  CHECK(HouseholdId(Suite::kEd25519Sha256, key, std::string(64, 'A')).ok());
}

TEST_CASE("pseudonym key text: 64 hex digits and an optional newline") {
  CHECK(PseudonymKey::Parse(kKeyHex).ok());
  CHECK(PseudonymKey::Parse(std::string(kKeyHex) + "\n").ok());
  Result<PseudonymKey> upper = PseudonymKey::Parse("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
  REQUIRE(upper.ok());
  CHECK(ToHex(upper->bytes()) == kKeyHex);
  CHECK_FALSE(PseudonymKey::Parse(std::string(kKeyHex) + "\n\n").ok());
  CHECK_FALSE(PseudonymKey::Parse(std::string(kKeyHex) + "\r\n").ok());
  CHECK_FALSE(PseudonymKey::Parse(std::string(kKeyHex) + " ").ok());
  CHECK_FALSE(PseudonymKey::Parse(kKeyHex.substr(2)).ok());
  CHECK_FALSE(PseudonymKey::Parse("").ok());
  std::string bad(kKeyHex);
  bad[5] = 'g';
  Status s = PseudonymKey::Parse(bad).status();
  CHECK(Mentions(s, "64 hex digits"));
  CHECK(s.message().find(bad) == std::string::npos);  // the key is never echoed
}

TEST_CASE("pseudonym key files: permissions like ssh") {
  {
    TempFile f(std::string(kKeyHex) + "\n", 0600);
    Result<PseudonymKey> k = PseudonymKey::LoadFile(f.path);
    REQUIRE(k.ok());
    CHECK(ToHex(k->bytes()) == kKeyHex);
  }
  {
    TempFile f(std::string(kKeyHex), 0400);
    CHECK(PseudonymKey::LoadFile(f.path).ok());
  }
  for (mode_t mode : {0640, 0604, 0644, 0660}) {
    TempFile f(std::string(kKeyHex), mode);
    Status s = PseudonymKey::LoadFile(f.path).status();
    CHECK(Mentions(s, "permissions are too open"));
  }
  {
    TempFile f(std::string(kKeyHex) + std::string(kKeyHex), 0600);
    CHECK(Mentions(PseudonymKey::LoadFile(f.path).status(), "64 hex digits"));
  }
  CHECK_FALSE(PseudonymKey::LoadFile("/nonexistent/hearth/key").ok());
  CHECK(Mentions(PseudonymKey::LoadFile("/tmp").status(), "not a regular file"));
}
