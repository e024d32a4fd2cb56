// The receipt's canonical JSON, its signature and the field-by-field comparison the verifier
// uses (receipt.h, receipt_internal.h).
#include <charconv>
#include <exception>
#include <string>
#include <utility>

#include "hearth/json/json_fields.h"
#include "hearth/verify/receipt.h"
#include "receipt_internal.h"

namespace hearth::verify {

namespace receipt_internal {

// Appends `s` as a JSON string exactly as nlohmann::json dump(ensure_ascii = false) writes
// valid UTF-8: `"` and `\` escaped, \b \f \n \r \t, other bytes below 0x20 as \u00xx,
// everything else (UTF-8 included) as is. False for invalid UTF-8 (strings parsed by
// ParseJsonStrict never are; built ones come from validated data).
bool AppendJsonString(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // Validate one UTF-8 sequence (no overlongs, no surrogates, <= U+10FFFF).
      size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
      if (n == 0 || c > 0xF4 || i + n > s.size()) return false;
      const auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
          (c == 0xF4 && c1 > 0x8F)) {
        return false;
      }
      for (size_t k = 1; k < n; ++k) {
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
      }
      out.append(s.data() + i, n);
      i += n;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {  // a run of plain ASCII, appended at once
      size_t j = i + 1;
      while (j < s.size()) {
        const auto d = static_cast<unsigned char>(s[j]);
        if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\') break;
        ++j;
      }
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
  return true;
}

}  // namespace receipt_internal

namespace {

using json = nlohmann::json;
using receipt_internal::AppendJsonString;

// Writes the canonical form of `v` to `out`; on a float or invalid UTF-8 returns false with
// `path` naming the value and `*problem` saying what is wrong.
bool Write(const json& v, std::string& path, std::string& out, const char** problem) {
  switch (v.type()) {
    case json::value_t::object: {
      out += '{';
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {  // std::map: ascending byte order
        if (!first) out += ',';
        first = false;
        const size_t len = path.size();
        path += '.';
        path += it.key();
        if (!AppendJsonString(it.key(), out)) return (*problem = "invalid UTF-8 in the key"), false;
        out += ':';
        if (!Write(it.value(), path, out, problem)) return false;
        path.resize(len);
      }
      out += '}';
      return true;
    }
    case json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ',';
        const size_t len = path.size();
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, i).ptr;
        path += '[';
        path.append(digits, static_cast<size_t>(end - digits));
        path += ']';
        if (!Write(v[i], path, out, problem)) return false;
        path.resize(len);
      }
      out += ']';
      return true;
    }
    case json::value_t::string:
      if (AppendJsonString(v.get_ref<const std::string&>(), out)) return true;
      *problem = "invalid UTF-8";
      return false;
    case json::value_t::number_integer:
      receipt_internal::AppendInt(v.get<int64_t>(), out);
      return true;
    case json::value_t::number_unsigned:
      receipt_internal::AppendUint(v.get<uint64_t>(), out);
      return true;
    case json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return true;
    case json::value_t::null:
      out += "null";
      return true;
    default:  // floats, binary, discarded
      *problem = "floating-point number";
      return false;
  }
}

// Short text of a value for error messages.
std::string Brief(const json& v) {
  std::string s;
  try {
    s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const std::exception&) {
    s = "<unprintable>";
  }
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

}  // namespace

Result<std::string> CanonicalJson(const nlohmann::json& value, std::string_view root) {
  // A writer of our own (not dump(-1)): the receipt is mostly long hex strings, which
  // nlohmann's escaper walks through a UTF-8 state machine byte by byte.
  std::string path(root);
  std::string out;
  const char* problem = nullptr;
  if (!Write(value, path, out, &problem)) return Status::InvalidArgument(path + ": " + problem);
  return out;
}

namespace receipt_internal {

Result<std::string> CanonicalJsonMemberRange(const nlohmann::json& value, std::string_view root,
                                             std::string_view key, size_t* begin, size_t* end) {
  *begin = *end = 0;
  if (!value.is_object()) return CanonicalJson(value, root);
  // The object case of Write, noting where `key` starts and ends.
  std::string path(root);
  std::string out;
  const char* problem = nullptr;
  out += '{';
  bool first = true;
  bool pending_end = false;  // `key` was the first member: its range takes the next comma
  for (auto it = value.begin(); it != value.end(); ++it) {
    const size_t member_start = out.size();
    if (!first) out += ',';
    if (pending_end) {
      *end = out.size();
      pending_end = false;
    }
    const size_t len = path.size();
    path += '.';
    path += it.key();
    if (!AppendJsonString(it.key(), out)) {
      return Status::InvalidArgument(path + ": invalid UTF-8 in the key");
    }
    out += ':';
    if (!Write(it.value(), path, out, &problem)) return Status::InvalidArgument(path + ": " + problem);
    path.resize(len);
    if (it.key() == key) {
      *begin = member_start;
      *end = out.size();
      pending_end = first;
    }
    first = false;
  }
  out += '}';
  return out;
}

}  // namespace receipt_internal

Result<Hash32> SignReceiptJson(nlohmann::json& receipt, const PrivateKey& key,
                               std::string_view chain_id) {
  HEARTH_CHECK(receipt.is_object());
  receipt.erase("signature");
  HEARTH_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(receipt));
  const Hash32 hash = ReceiptBodyHash(key.suite(), canonical);
  HEARTH_ASSIGN_OR_RETURN(Bytes signature, SignReceiptHash(key, chain_id, hash));
  receipt["signature"] = ToHex(signature);
  return hash;
}

Hash32 ReceiptBodyHash(Suite suite, std::string_view canonical_body) {
  return SuiteHash(suite, AsBytes(canonical_body));
}

Result<Bytes> SignReceiptHash(const PrivateKey& key, std::string_view chain_id,
                              const Hash32& receipt_hash) {
  return key.Sign(kReceiptContext, chain_id, receipt_hash.bytes);
}

Status VerifyReceiptSignature(const PublicKey& key, std::string_view chain_id,
                              const Hash32& receipt_hash, ByteView signature) {
  return key.Verify(kReceiptContext, chain_id, receipt_hash.bytes, signature);
}

Result<Hash32> ReceiptHash(Suite suite, std::string_view text) {
  HEARTH_ASSIGN_OR_RETURN(json receipt,
                          ParseJsonStrict(text, "receipt", kReceiptBytesMax, kReceiptDepthMax));
  if (!receipt.is_object()) return Status::InvalidArgument("receipt: not a JSON object");
  receipt.erase("signature");
  HEARTH_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(receipt));
  return ReceiptBodyHash(suite, canonical);
}

namespace receipt_internal {

nlohmann::json HashList(std::span<const Hash32> hashes) {
  json out = json::array();
  for (const Hash32& h : hashes) out.push_back(h.Hex());
  return out;
}

Status DiffJson(const nlohmann::json& got, const nlohmann::json& want, const std::string& path) {
  if (got.is_object() && want.is_object()) {
    // Both iterate in key order: a merge finds unknown and missing members in one pass.
    auto g = got.begin();
    auto w = want.begin();
    while (g != got.end() || w != want.end()) {
      if (w == want.end() || (g != got.end() && g.key() < w.key())) {
        return Status::VerifyFailed(path + "." + g.key() + ": unknown field");
      }
      if (g == got.end() || w.key() < g.key()) {
        return Status::VerifyFailed(path + "." + w.key() + ": missing");
      }
      HEARTH_RETURN_IF_ERROR(DiffJson(g.value(), w.value(), path + "." + g.key()));
      ++g;
      ++w;
    }
    return Status::Ok();
  }
  if (got.is_array() && want.is_array()) {
    const size_t n = std::min(got.size(), want.size());
    for (size_t i = 0; i < n; ++i) {
      HEARTH_RETURN_IF_ERROR(DiffJson(got[i], want[i], path + "[" + std::to_string(i) + "]"));
    }
    if (got.size() != want.size()) {
      return Status::VerifyFailed(path + ": " + std::to_string(got.size()) +
                                  " elements, the recomputed check gives " +
                                  std::to_string(want.size()));
    }
    return Status::Ok();
  }
  if (got == want && got.type() != json::value_t::number_float) return Status::Ok();
  return Status::VerifyFailed(path + ": " + Brief(got) + " differs from the recomputed " +
                              Brief(want));
}

}  // namespace receipt_internal

}  // namespace hearth::verify
