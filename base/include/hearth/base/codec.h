// codec.h: the canonical binary codec for everything hashed, signed or read from a peer.
//
// Wire rules (documented for independent verifiers in docs/FORMAT.md):
//  - Integers are fixed width, little-endian: u8, u16, u32, u64; i64 is two's complement.
//  - A byte string or text is a u32 length followed by that many bytes. Every read names
//    a maximum length, checked before anything is allocated.
//  - A list is a u32 count followed by the elements; every read names a maximum count.
//  - A fixed-size field (hash, id) is written raw, without a length.
//  - A decoder must consume its input exactly (Reader::Finish rejects trailing bytes).
// Errors name the field and the byte offset where decoding failed, e.g.
// "attestation.amount_fen: truncated at offset 57 (need 8 bytes, have 3)".
// Thread-safety: a Writer or Reader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"

namespace hearth {

class Writer {
 public:
  Writer() = default;
  explicit Writer(size_t reserve_bytes) { out_.reserve(reserve_bytes); }

  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { PutLE(v, 2); }
  void U32(uint32_t v) { PutLE(v, 4); }
  void U64(uint64_t v) { PutLE(v, 8); }
  void I64(int64_t v) { PutLE(static_cast<uint64_t>(v), 8); }
  void Bool(bool v) { U8(v ? 1 : 0); }
  // Raw bytes, no length (fixed-size fields).
  void Raw(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void Hash(const Hash32& h) { Raw(h.view()); }
  // u32 length prefix + bytes. REQUIRES: size fits in u32 (callers enforce smaller limits).
  void Blob(ByteView b);
  void Str(std::string_view s) { Blob(AsBytes(s)); }
  void Count(size_t n);  // u32 list count

  const Bytes& bytes() const { return out_; }
  Bytes Take() { return std::move(out_); }
  size_t size() const { return out_.size(); }

 private:
  void PutLE(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  Bytes out_;
};

class Reader {
 public:
  // `what` prefixes every error message (e.g. "attestation").
  Reader(ByteView in, std::string_view what) : in_(in), what_(what) {}

  Status U8(std::string_view field, uint8_t* v);
  Status U16(std::string_view field, uint16_t* v);
  Status U32(std::string_view field, uint32_t* v);
  Status U64(std::string_view field, uint64_t* v);
  Status I64(std::string_view field, int64_t* v);
  // Only 0 and 1 are accepted (canonical).
  Status Bool(std::string_view field, bool* v);
  Status Hash(std::string_view field, Hash32* h);
  Status Raw(std::string_view field, size_t n, Bytes* out);
  // u32 length, then bytes; fails if length > max_bytes or past the end of input.
  Status Blob(std::string_view field, size_t max_bytes, Bytes* out);
  // Like Blob, and the bytes must be valid UTF-8 without NUL.
  Status Str(std::string_view field, size_t max_bytes, std::string* out);
  // u32 count; fails if count > max_count or if count * min_element_bytes exceeds what is
  // left of the input (so a lying count never drives an allocation).
  Status Count(std::string_view field, size_t max_count, size_t min_element_bytes, size_t* n);
  // Fails if any bytes remain.
  Status Finish() const;

  size_t offset() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }

  // An InvalidArgument status "<what>.<field>: <problem> at offset <pos>".
  Status Error(std::string_view field, std::string_view problem) const;

 private:
  Status Need(std::string_view field, size_t n) const;
  uint64_t GetLE(int width);

  ByteView in_;
  size_t pos_ = 0;
  std::string what_;
};

// True when `s` is valid UTF-8 (no overlongs, no surrogates) and contains no NUL.
bool IsValidUtf8(std::string_view s);

}  // namespace hearth
