// Strict JSON parsing (a SAX handler that builds the value and refuses duplicates and deep
// nesting) and the typed field reader of json_fields.h.
#include "hearth/json/json_fields.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace hearth {

namespace {

using json = nlohmann::json;

// Builds the value like nlohmann's own DOM parser, but stops at the first duplicate key or
// at nesting deeper than depth_max. Returning false from a handler aborts the parse.
class StrictSax : public nlohmann::json_sax<json> {
 public:
  explicit StrictSax(size_t depth_max) : depth_max_(depth_max) {}

  bool null() override { return Put(json(nullptr)); }
  bool boolean(bool v) override { return Put(json(v)); }
  bool number_integer(number_integer_t v) override { return Put(json(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Put(json(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Put(json(v)); }
  bool string(string_t& v) override { return Put(json(std::move(v))); }
  bool binary(binary_t&) override { return Fail(0, "binary values are not JSON"); }

  bool start_object(std::size_t) override { return Open(json::object()); }
  bool start_array(std::size_t) override { return Open(json::array()); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }

  bool key(string_t& k) override {
    json* top = stack_.back();
    if (top->contains(k)) return Fail(0, "duplicate key \"" + k + "\"");
    key_ = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    // nlohmann's message: "[json.exception.parse_error.101] parse error at line 1, column 2:
    // <detail>"; keep the detail after the last ": ".
    std::string m = ex.what();
    size_t colon = m.find(": ");
    if (colon != std::string::npos) m = m.substr(colon + 2);
    return Fail(position, m);
  }

  json& root() { return root_; }
  const std::string& error() const { return error_; }
  size_t error_position() const { return error_position_; }

 private:
  bool Fail(size_t position, std::string message) {
    if (error_.empty()) {
      error_ = std::move(message);
      error_position_ = position;
    }
    return false;
  }

  // Places v in the innermost open container (or as the root); returns where it went.
  json* Place(json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json* top = stack_.back();
    if (top->is_array()) {
      top->push_back(std::move(v));
      return &top->back();
    }
    json& slot = (*top)[key_];
    slot = std::move(v);
    return &slot;
  }

  bool Put(json&& v) {
    Place(std::move(v));
    return true;
  }

  bool Open(json&& container) {
    if (stack_.size() >= depth_max_) {
      return Fail(0, "nesting deeper than " + std::to_string(depth_max_) + " levels");
    }
    stack_.push_back(Place(std::move(container)));
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  size_t depth_max_;
  json root_;
  std::vector<json*> stack_;  // open containers, innermost last; pointers stay valid
                              // because only the innermost container grows
  std::string key_;
  std::string error_;
  size_t error_position_ = 0;
};

}  // namespace

std::string_view JsonTypeName(const nlohmann::json& v) {
  switch (v.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_float: return "a float";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    default: return "a non-JSON value";
  }
}

Result<nlohmann::json> ParseJsonStrict(std::string_view text, std::string_view what,
                                       size_t bytes_max, size_t depth_max) {
  if (text.size() > bytes_max) {
    return Status::InvalidArgument(std::string(what) + ": " + std::to_string(text.size()) +
                                   " bytes exceeds the maximum " + std::to_string(bytes_max));
  }
  StrictSax sax(depth_max);
  bool ok = false;
  try {
    ok = json::sax_parse(text.begin(), text.end(), &sax, nlohmann::detail::input_format_t::json,
                         /*strict=*/true, /*ignore_comments=*/false);
  } catch (const std::exception& e) {  // allocation failure and the like
    return Status::Internal(std::string(what) + ": JSON parser failed: " + e.what());
  }
  if (!ok) {
    std::string m(what);
    m += ": malformed JSON";
    if (sax.error_position() > 0) m += " at byte " + std::to_string(sax.error_position());
    m += ": ";
    m += sax.error().empty() ? "parse failed" : sax.error();
    return Status::InvalidArgument(std::move(m));
  }
  return std::move(sax.root());
}

JsonFields::JsonFields(const nlohmann::json& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {
  HEARTH_CHECK(object.is_object());
}

bool JsonFields::Has(std::string_view key) const { return object_.contains(key); }

const nlohmann::json* JsonFields::Find(std::string_view key) {
  auto it = object_.find(key);
  if (it == object_.end()) return nullptr;
  if (std::find(read_.begin(), read_.end(), key) == read_.end()) read_.emplace_back(key);
  return &*it;
}

Status JsonFields::Error(std::string_view key, std::string_view problem) const {
  std::string m = prefix_;
  m += '.';
  m += key;
  m += ": ";
  m += problem;
  return Status::InvalidArgument(std::move(m));
}

Status JsonFields::Uint(std::string_view key, uint64_t max, uint64_t* out) {
  const json* v = Find(key);
  if (v == nullptr) return Missing(key);
  uint64_t u = 0;
  if (v->is_number_unsigned()) {
    u = v->get<uint64_t>();
  } else if (v->is_number_integer()) {
    int64_t i = v->get<int64_t>();
    if (i < 0) {
      return Error(key, std::to_string(i) + " is negative; expected 0.." + std::to_string(max));
    }
    u = static_cast<uint64_t>(i);
  } else {
    return Error(key, "expected an integer, got " + std::string(JsonTypeName(*v)));
  }
  if (u > max) return Error(key, std::to_string(u) + " exceeds the maximum " + std::to_string(max));
  *out = u;
  return Status::Ok();
}

Status JsonFields::Int(std::string_view key, int64_t min, int64_t max, int64_t* out) {
  const json* v = Find(key);
  if (v == nullptr) return Missing(key);
  int64_t i = 0;
  if (v->is_number_unsigned()) {
    uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return Error(key, std::to_string(u) + " exceeds the maximum " + std::to_string(max));
    }
    i = static_cast<int64_t>(u);
  } else if (v->is_number_integer()) {
    i = v->get<int64_t>();
  } else {
    return Error(key, "expected an integer, got " + std::string(JsonTypeName(*v)));
  }
  if (i < min || i > max) {
    return Error(key, std::to_string(i) + " outside " + std::to_string(min) + ".." +
                          std::to_string(max));
  }
  *out = i;
  return Status::Ok();
}

Status JsonFields::U32(std::string_view key, uint32_t* out) {
  uint64_t u = 0;
  HEARTH_RETURN_IF_ERROR(Uint(key, std::numeric_limits<uint32_t>::max(), &u));
  *out = static_cast<uint32_t>(u);
  return Status::Ok();
}

Status JsonFields::U64(std::string_view key, uint64_t* out) {
  return Uint(key, std::numeric_limits<uint64_t>::max(), out);
}

Status JsonFields::I64(std::string_view key, int64_t* out) {
  return Int(key, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), out);
}

Status JsonFields::OptU32(std::string_view key, std::optional<uint32_t>* out) {
  out->reset();
  if (!Has(key)) return Status::Ok();
  uint32_t v = 0;
  HEARTH_RETURN_IF_ERROR(U32(key, &v));
  *out = v;
  return Status::Ok();
}

Status JsonFields::OptU64(std::string_view key, std::optional<uint64_t>* out) {
  out->reset();
  if (!Has(key)) return Status::Ok();
  uint64_t v = 0;
  HEARTH_RETURN_IF_ERROR(U64(key, &v));
  *out = v;
  return Status::Ok();
}

Status JsonFields::Str(std::string_view key, std::string* out) {
  const json* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_string()) return Error(key, "expected a string, got " + std::string(JsonTypeName(*v)));
  *out = v->get_ref<const std::string&>();
  return Status::Ok();
}

Result<Bytes> DecodeHexField(std::string_view field, std::string_view hex, size_t bytes_min,
                             size_t bytes_max) {
  auto bad = [&](const std::string& problem) {
    return Status::InvalidArgument(std::string(field) + ": " + problem);
  };
  auto expected = [&]() {
    if (bytes_min == bytes_max) return "expected " + std::to_string(2 * bytes_min) + " hex digits";
    return "expected " + std::to_string(2 * bytes_min) + ".." + std::to_string(2 * bytes_max) +
           " hex digits (an even number)";
  };
  if (hex.size() % 2 != 0 || hex.size() < 2 * bytes_min || hex.size() > 2 * bytes_max) {
    return bad(expected() + ", got " + std::to_string(hex.size()));
  }
  Result<Bytes> b = FromHex(hex);
  if (!b.ok()) return bad(expected() + ", got a non-hex character");
  return b;
}

Status JsonFields::Hex(std::string_view key, size_t bytes_min, size_t bytes_max, Bytes* out) {
  std::string s;
  HEARTH_RETURN_IF_ERROR(Str(key, &s));
  Result<Bytes> b = DecodeHexField(prefix_ + "." + std::string(key), s, bytes_min, bytes_max);
  if (!b.ok()) return b.status();
  *out = std::move(b).value();
  return Status::Ok();
}

Status JsonFields::Hash(std::string_view key, Hash32* out) {
  Bytes b;
  HEARTH_RETURN_IF_ERROR(Hex(key, Hash32::kSize, Hash32::kSize, &b));
  *out = Hash32::FromBytes(b);
  return Status::Ok();
}

Status JsonFields::OptHash(std::string_view key, std::optional<Hash32>* out) {
  out->reset();
  if (!Has(key)) return Status::Ok();
  Hash32 h;
  HEARTH_RETURN_IF_ERROR(Hash(key, &h));
  *out = h;
  return Status::Ok();
}

Status JsonFields::Object(std::string_view key, const nlohmann::json** out) {
  const json* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_object()) return Error(key, "expected an object, got " + std::string(JsonTypeName(*v)));
  *out = v;
  return Status::Ok();
}

Status JsonFields::Array(std::string_view key, const nlohmann::json** out) {
  const json* v = Find(key);
  if (v == nullptr) return Missing(key);
  if (!v->is_array()) return Error(key, "expected an array, got " + std::string(JsonTypeName(*v)));
  *out = v;
  return Status::Ok();
}

Status JsonFields::Finish() const {
  for (auto it = object_.begin(); it != object_.end(); ++it) {
    if (std::find(read_.begin(), read_.end(), it.key()) == read_.end()) {
      return Error(it.key(), "unknown field");
    }
  }
  return Status::Ok();
}

}  // namespace hearth
