#include "hearth/base/codec.h"

#include <limits>

namespace hearth {

void Writer::Blob(ByteView b) {
  HEARTH_CHECK(b.size() <= std::numeric_limits<uint32_t>::max());
  U32(static_cast<uint32_t>(b.size()));
  Raw(b);
}

void Writer::Count(size_t n) {
  HEARTH_CHECK(n <= std::numeric_limits<uint32_t>::max());
  U32(static_cast<uint32_t>(n));
}

Status Reader::Error(std::string_view field, std::string_view problem) const {
  std::string m = what_;
  m += '.';
  m += field;
  m += ": ";
  m += problem;
  m += " at offset ";
  m += std::to_string(pos_);
  return Status::InvalidArgument(std::move(m));
}

Status Reader::Need(std::string_view field, size_t n) const {
  if (remaining() < n) {
    return Error(field, "truncated (need " + std::to_string(n) + " bytes, have " +
                            std::to_string(remaining()) + ")");
  }
  return Status::Ok();
}

uint64_t Reader::GetLE(int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; ++i) v |= static_cast<uint64_t>(in_[pos_ + i]) << (8 * i);
  pos_ += static_cast<size_t>(width);
  return v;
}

Status Reader::U8(std::string_view field, uint8_t* v) {
  HEARTH_RETURN_IF_ERROR(Need(field, 1));
  *v = static_cast<uint8_t>(GetLE(1));
  return Status::Ok();
}
Status Reader::U16(std::string_view field, uint16_t* v) {
  HEARTH_RETURN_IF_ERROR(Need(field, 2));
  *v = static_cast<uint16_t>(GetLE(2));
  return Status::Ok();
}
Status Reader::U32(std::string_view field, uint32_t* v) {
  HEARTH_RETURN_IF_ERROR(Need(field, 4));
  *v = static_cast<uint32_t>(GetLE(4));
  return Status::Ok();
}
Status Reader::U64(std::string_view field, uint64_t* v) {
  HEARTH_RETURN_IF_ERROR(Need(field, 8));
  *v = GetLE(8);
  return Status::Ok();
}
Status Reader::I64(std::string_view field, int64_t* v) {
  HEARTH_RETURN_IF_ERROR(Need(field, 8));
  *v = static_cast<int64_t>(GetLE(8));
  return Status::Ok();
}

Status Reader::Bool(std::string_view field, bool* v) {
  uint8_t b = 0;
  HEARTH_RETURN_IF_ERROR(U8(field, &b));
  if (b > 1) {
    pos_ -= 1;
    return Error(field, "boolean must be 0 or 1, got " + std::to_string(b));
  }
  *v = b == 1;
  return Status::Ok();
}

Status Reader::Hash(std::string_view field, Hash32* h) {
  HEARTH_RETURN_IF_ERROR(Need(field, Hash32::kSize));
  *h = Hash32::FromBytes(in_.subspan(pos_, Hash32::kSize));
  pos_ += Hash32::kSize;
  return Status::Ok();
}

Status Reader::Raw(std::string_view field, size_t n, Bytes* out) {
  HEARTH_RETURN_IF_ERROR(Need(field, n));
  auto s = in_.subspan(pos_, n);
  out->assign(s.begin(), s.end());
  pos_ += n;
  return Status::Ok();
}

Status Reader::Blob(std::string_view field, size_t max_bytes, Bytes* out) {
  uint32_t len = 0;
  HEARTH_RETURN_IF_ERROR(U32(field, &len));
  if (len > max_bytes) {
    pos_ -= 4;
    return Error(field, "length " + std::to_string(len) + " exceeds maximum " +
                            std::to_string(max_bytes));
  }
  if (len > remaining()) {
    pos_ -= 4;
    return Error(field, "length " + std::to_string(len) + " points past the end of input (" +
                            std::to_string(remaining() - 4) + " bytes left)");
  }
  return Raw(field, len, out);
}

Status Reader::Str(std::string_view field, size_t max_bytes, std::string* out) {
  size_t start = pos_;
  Bytes b;
  HEARTH_RETURN_IF_ERROR(Blob(field, max_bytes, &b));
  std::string s(b.begin(), b.end());
  if (!IsValidUtf8(s)) {
    pos_ = start;
    return Error(field, "text is not valid UTF-8 or contains NUL");
  }
  *out = std::move(s);
  return Status::Ok();
}

Status Reader::Count(std::string_view field, size_t max_count, size_t min_element_bytes,
                     size_t* n) {
  uint32_t c = 0;
  HEARTH_RETURN_IF_ERROR(U32(field, &c));
  if (c > max_count) {
    pos_ -= 4;
    return Error(field, "count " + std::to_string(c) + " exceeds maximum " +
                            std::to_string(max_count));
  }
  if (min_element_bytes > 0 && static_cast<uint64_t>(c) * min_element_bytes > remaining()) {
    pos_ -= 4;
    return Error(field, "count " + std::to_string(c) + " needs at least " +
                            std::to_string(static_cast<uint64_t>(c) * min_element_bytes) +
                            " bytes, only " + std::to_string(remaining()) + " left");
  }
  *n = c;
  return Status::Ok();
}

Status Reader::Finish() const {
  if (pos_ != in_.size()) {
    return Error("end", std::to_string(in_.size() - pos_) + " trailing bytes");
  }
  return Status::Ok();
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c == 0) return false;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) {
      return false;  // overlong
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace hearth
