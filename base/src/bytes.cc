#include "hearth/base/bytes.h"

#include <cstring>

namespace hearth {

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string ToHex(ByteView b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.resize(b.size() * 2);
  for (size_t i = 0; i < b.size(); ++i) {
    s[2 * i] = kDigits[b[i] >> 4];
    s[2 * i + 1] = kDigits[b[i] & 0x0f];
  }
  return s;
}

Result<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return Status::InvalidArgument("hex string has odd length " + std::to_string(hex.size()));
  }
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = HexDigitValue(hex[2 * i]);
    int lo = HexDigitValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      size_t bad = hi < 0 ? 2 * i : 2 * i + 1;
      return Status::InvalidArgument("non-hex character at position " + std::to_string(bad));
    }
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

bool Hash32::IsZero() const {
  for (uint8_t b : bytes) {
    if (b != 0) return false;
  }
  return true;
}

std::string Hash32::Hex() const { return ToHex(view()); }

Result<Hash32> Hash32::FromHex(std::string_view hex) {
  if (hex.size() != 2 * kSize) {
    return Status::InvalidArgument("hash must be 64 hex digits, got " + std::to_string(hex.size()));
  }
  HEARTH_ASSIGN_OR_RETURN(Bytes b, hearth::FromHex(hex));
  return FromBytes(b);
}

Hash32 Hash32::FromBytes(ByteView b) {
  HEARTH_CHECK(b.size() == kSize);
  Hash32 h;
  std::memcpy(h.bytes.data(), b.data(), kSize);
  return h;
}

}  // namespace hearth
