#include <catch2/catch.hpp>

#include "hearth/base/bytes.h"
#include "hearth/base/codec.h"

using namespace hearth;

TEST_CASE("codec round-trips fixed-width little-endian integers") {
  Writer w;
  w.U8(0xab);
  w.U16(0x1234);
  w.U32(0xdeadbeef);
  w.U64(0x0102030405060708ULL);
  w.I64(-2);
  w.Bool(true);
  CHECK(ToHex(w.bytes()) ==
        "ab" "3412" "efbeadde" "0807060504030201" "feffffffffffffff" "01");
  Reader r(w.bytes(), "t");
  uint8_t a = 0; uint16_t b = 0; uint32_t c = 0; uint64_t d = 0; int64_t e = 0; bool f = false;
  REQUIRE(r.U8("a", &a).ok());
  REQUIRE(r.U16("b", &b).ok());
  REQUIRE(r.U32("c", &c).ok());
  REQUIRE(r.U64("d", &d).ok());
  REQUIRE(r.I64("e", &e).ok());
  REQUIRE(r.Bool("f", &f).ok());
  REQUIRE(r.Finish().ok());
  CHECK(a == 0xab);
  CHECK(b == 0x1234);
  CHECK(c == 0xdeadbeef);
  CHECK(d == 0x0102030405060708ULL);
  CHECK(e == -2);
  CHECK(f);
}

TEST_CASE("codec rejects truncation, trailing bytes and lying lengths with field and offset") {
  Writer w;
  w.Str("hello");
  Bytes good = w.bytes();

  SECTION("truncated") {
    Bytes cut(good.begin(), good.end() - 1);
    Reader r(cut, "rec");
    std::string s;
    Status st = r.Str("name", 100, &s);
    REQUIRE(st.code() == Code::kInvalidArgument);
    CHECK(st.message().find("rec.name") != std::string::npos);
    CHECK(st.message().find("offset 0") != std::string::npos);
  }
  SECTION("trailing") {
    Bytes extra = good;
    extra.push_back(0);
    Reader r(extra, "rec");
    std::string s;
    REQUIRE(r.Str("name", 100, &s).ok());
    Status st = r.Finish();
    REQUIRE(!st.ok());
    CHECK(st.message().find("1 trailing bytes") != std::string::npos);
  }
  SECTION("over the named maximum") {
    Reader r(good, "rec");
    std::string s;
    Status st = r.Str("name", 4, &s);
    REQUIRE(!st.ok());
    CHECK(st.message().find("exceeds maximum 4") != std::string::npos);
  }
  SECTION("a huge count is refused before allocation") {
    Writer c;
    c.U32(0xffffffffu);
    Reader r(c.bytes(), "rec");
    size_t n = 0;
    CHECK(!r.Count("items", 1u << 20, 1, &n).ok());
    Reader r2(c.bytes(), "rec");
    Status st = r2.Count("items", 0xffffffffu, 32, &n);
    REQUIRE(!st.ok());
    CHECK(st.message().find("needs at least") != std::string::npos);
  }
  SECTION("non-canonical boolean") {
    Bytes two{2};
    Reader r(two, "rec");
    bool b = false;
    CHECK(!r.Bool("flag", &b).ok());
  }
}

TEST_CASE("utf-8 validation rejects overlongs, surrogates and NUL") {
  CHECK(IsValidUtf8("民政局 civil affairs"));
  CHECK(!IsValidUtf8(std::string("a\0b", 3)));
  CHECK(!IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK(!IsValidUtf8("\xed\xa0\x80"));      // surrogate
  CHECK(!IsValidUtf8("\xe6\xb0"));          // truncated
}

TEST_CASE("hex parsing is strict") {
  CHECK(FromHex("00ff").ok());
  CHECK(!FromHex("0").ok());
  CHECK(!FromHex("zz").ok());
  CHECK(!Hash32::FromHex("00").ok());
  auto h = Hash32::FromHex(std::string(64, 'A'));
  REQUIRE(h.ok());
  CHECK(h->Hex() == std::string(64, 'a'));
}
