// format_doc.h: the machinery behind the worked examples of docs/FORMAT.md.
//
// An example is a name and a generator returning markdown. format_doc_test.cc renders every
// registered example and compares it with the region
//   <!-- BEGIN example:NAME --> ... <!-- END example:NAME -->
// of docs/FORMAT.md; with HEARTH_UPDATE_DOCS=1 it rewrites those regions in place instead.
// To add an example: define a generator and register it in format_doc_test.cc
// (`const formatdoc::Register kMine("name", &MyGenerator);`), then put the two markers where
// it belongs in FORMAT.md and run the test once with HEARTH_UPDATE_DOCS=1.
//
// Annotated writes bytes field by field, independently of the production encoders, and
// renders them as a table (offset, field, type, hex, value). Generators REQUIRE that the
// concatenation equals the production encoding, so the tables cannot drift from the code.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "hearth/base/bytes.h"
#include "hearth/base/codec.h"

namespace hearth::formatdoc {

using Generator = std::function<std::string()>;

inline std::map<std::string, Generator>& Registry() {
  static std::map<std::string, Generator> r;
  return r;
}

struct Register {
  Register(const std::string& name, Generator g) { Registry().emplace(name, std::move(g)); }
};

// Hex wrapped at `width` characters a line, in a fenced block.
inline std::string HexBlock(ByteView b, size_t width = 64) {
  std::string hex = ToHex(b);
  std::string out = "```\n";
  for (size_t i = 0; i < hex.size(); i += width) out += hex.substr(i, width) + "\n";
  if (hex.empty()) out += "(empty)\n";
  return out + "```\n";
}

inline std::string Tick(std::string_view s) { return "`" + std::string(s) + "`"; }

class Annotated {
 public:
  void U8(const std::string& field, uint8_t v, const std::string& value = "") {
    Writer w;
    w.U8(v);
    Add(field, "u8", w.bytes(), value.empty() ? std::to_string(v) : value);
  }
  void U16(const std::string& field, uint16_t v, const std::string& value = "") {
    Writer w;
    w.U16(v);
    Add(field, "u16", w.bytes(), value.empty() ? std::to_string(v) : value);
  }
  void U32(const std::string& field, uint32_t v, const std::string& value = "") {
    Writer w;
    w.U32(v);
    Add(field, "u32", w.bytes(), value.empty() ? std::to_string(v) : value);
  }
  void U64(const std::string& field, uint64_t v, const std::string& value = "") {
    Writer w;
    w.U64(v);
    Add(field, "u64", w.bytes(), value.empty() ? std::to_string(v) : value);
  }
  void I64(const std::string& field, int64_t v, const std::string& value = "") {
    Writer w;
    w.I64(v);
    Add(field, "i64", w.bytes(), value.empty() ? std::to_string(v) : value);
  }
  void Hash(const std::string& field, const Hash32& h, const std::string& value = "") {
    Add(field, "32 bytes", Bytes(h.bytes.begin(), h.bytes.end()), value);
  }
  void Raw(const std::string& field, const std::string& type, ByteView b,
           const std::string& value = "") {
    Add(field, type, Bytes(b.begin(), b.end()), value);
  }
  // u32 length ‖ bytes, shown as one row "len ‖ bytes".
  void Blob(const std::string& field, ByteView b, const std::string& value = "") {
    Writer w;
    w.Blob(b);
    Add(field, "u32 len ‖ bytes", w.bytes(), value, 4);
  }
  void Str(const std::string& field, std::string_view s) {
    Writer w;
    w.Str(s);
    Add(field, "u32 len ‖ UTF-8", w.bytes(), "\"" + std::string(s) + "\"", 4);
  }
  void Count(const std::string& field, size_t n) {
    Writer w;
    w.Count(n);
    Add(field, "u32 count", w.bytes(), std::to_string(n));
  }

  const Bytes& bytes() const { return bytes_; }

  std::string Table() const {
    std::string t = "| offset | field | type | hex | value |\n|---:|---|---|---|---|\n";
    for (const Row& r : rows_) {
      t += "| " + std::to_string(r.offset) + " | " + r.field + " | " + r.type + " | " + r.hex +
           " | " + r.value + " |\n";
    }
    return t;
  }

 private:
  struct Row {
    size_t offset;
    std::string field, type, hex, value;
  };
  // `split` > 0 puts a space after the first `split` bytes (a length prefix).
  void Add(const std::string& field, const std::string& type, const Bytes& b,
           const std::string& value, size_t split = 0) {
    std::string hex;
    if (split > 0 && b.size() > split) {
      hex = Tick(ToHex(ByteView(b.data(), split))) + " " +
            Tick(ToHex(ByteView(b.data() + split, b.size() - split)));
    } else {
      hex = b.empty() ? "" : Tick(ToHex(b));
    }
    rows_.push_back(Row{bytes_.size(), field, type, hex, value});
    bytes_.insert(bytes_.end(), b.begin(), b.end());
  }

  std::vector<Row> rows_;
  Bytes bytes_;
};

// Replaces the region of `name` in `doc` by `body`. False when the markers are missing.
inline bool ReplaceRegion(std::string& doc, const std::string& name, const std::string& body) {
  const std::string begin = "<!-- BEGIN example:" + name + " -->\n";
  const std::string end = "<!-- END example:" + name + " -->";
  const size_t b = doc.find(begin);
  if (b == std::string::npos) return false;
  const size_t e = doc.find(end, b + begin.size());
  if (e == std::string::npos) return false;
  doc.replace(b + begin.size(), e - (b + begin.size()), body);
  return true;
}

// The current content of the region of `name`, or "" with found=false.
inline std::string RegionOf(const std::string& doc, const std::string& name, bool* found) {
  const std::string begin = "<!-- BEGIN example:" + name + " -->\n";
  const std::string end = "<!-- END example:" + name + " -->";
  const size_t b = doc.find(begin);
  const size_t e = b == std::string::npos ? b : doc.find(end, b + begin.size());
  *found = b != std::string::npos && e != std::string::npos;
  return *found ? doc.substr(b + begin.size(), e - (b + begin.size())) : std::string();
}

}  // namespace hearth::formatdoc
