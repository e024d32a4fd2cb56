// bytes.h: byte strings, fixed-size hashes and hex.
// Thread-safety: values and pure functions.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hearth/base/status.h"

namespace hearth {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsChars(ByteView b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

// A 32-byte hash or id (SHA-256 and SM3 both produce 32 bytes).
struct Hash32 {
  static constexpr size_t kSize = 32;
  std::array<uint8_t, kSize> bytes{};

  ByteView view() const { return ByteView(bytes.data(), bytes.size()); }
  bool IsZero() const;
  std::string Hex() const;
  // Parses exactly 64 hex digits.
  static Result<Hash32> FromHex(std::string_view hex);
  // REQUIRES: b.size() == 32.
  static Hash32 FromBytes(ByteView b);

  friend auto operator<=>(const Hash32&, const Hash32&) = default;
  friend bool operator==(const Hash32&, const Hash32&) = default;
};

// The value of one hex digit (either case), or -1.
int HexDigitValue(char c);
std::string ToHex(ByteView b);
// Accepts upper or lower case; rejects odd length and non-hex characters.
Result<Bytes> FromHex(std::string_view hex);

}  // namespace hearth

template <>
struct std::hash<hearth::Hash32> {
  size_t operator()(const hearth::Hash32& h) const noexcept {
    size_t v = 0;
    for (size_t i = 0; i < sizeof(size_t); ++i) v = (v << 8) | h.bytes[i];
    return v;
  }
};
