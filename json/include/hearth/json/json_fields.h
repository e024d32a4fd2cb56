// json_fields.h: strict JSON input for the API, the CLI and configuration files.
//
// Contract:
//  - ParseJsonStrict accepts one JSON value (RFC 8259) and nothing else: it rejects text
//    longer than `bytes_max` before parsing, duplicate object keys (different parsers would
//    keep different copies: an ambiguity in signed records), nesting deeper than
//    `depth_max`, and invalid UTF-8. Errors are InvalidArgument
//    "<what>: malformed JSON at byte <n>: <detail>".
//  - JsonFields reads the members of one JSON object with strict types: integers must be
//    JSON integers (never floats or strings), unsigned fields reject negatives, values must
//    fit the target width, `null` is never a value (an optional field is omitted instead).
//    Errors are InvalidArgument "<prefix>.<key>: <problem>". Finish() rejects any member
//    that was not read ("<prefix>.<key>: unknown field").
// Thread-safety: ParseJsonStrict is a pure function; a JsonFields is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "hearth/base/bytes.h"
#include "hearth/base/status.h"

namespace hearth {

// "a string", "an integer", "a float", "null" ...: the type of `v` for error messages.
std::string_view JsonTypeName(const nlohmann::json& v);

Result<nlohmann::json> ParseJsonStrict(std::string_view text, std::string_view what,
                                       size_t bytes_max, size_t depth_max);

class JsonFields {
 public:
  // REQUIRES: object.is_object(); `object` outlives this reader.
  JsonFields(const nlohmann::json& object, std::string prefix);

  // The prefix of later error messages (e.g. "transaction", then "attestation").
  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }
  bool Has(std::string_view key) const;

  // Integers. Uint accepts 0..max; Int accepts min..max.
  Status Uint(std::string_view key, uint64_t max, uint64_t* out);
  Status Int(std::string_view key, int64_t min, int64_t max, int64_t* out);
  Status U32(std::string_view key, uint32_t* out);
  Status U64(std::string_view key, uint64_t* out);
  Status I64(std::string_view key, int64_t* out);
  Status OptU32(std::string_view key, std::optional<uint32_t>* out);
  Status OptU64(std::string_view key, std::optional<uint64_t>* out);

  Status Str(std::string_view key, std::string* out);
  // Hex: upper or lower case; a Hash32 is exactly 64 digits.
  Status Hash(std::string_view key, Hash32* out);
  Status OptHash(std::string_view key, std::optional<Hash32>* out);
  Status Hex(std::string_view key, size_t bytes_min, size_t bytes_max, Bytes* out);
  // The member as a JSON object / array (not copied).
  Status Object(std::string_view key, const nlohmann::json** out);
  Status Array(std::string_view key, const nlohmann::json** out);

  // InvalidArgument naming the first member that no method above has read.
  Status Finish() const;
  // "<prefix>.<key>: <problem>".
  Status Error(std::string_view key, std::string_view problem) const;

 private:
  // The member, or nullptr with *missing set when absent. Marks it read.
  const nlohmann::json* Find(std::string_view key);
  Status Missing(std::string_view key) const { return Error(key, "missing"); }

  const nlohmann::json& object_;
  std::string prefix_;
  std::vector<std::string> read_;
};

// Checks a hex string of bytes_min..bytes_max bytes and decodes it. `field` names it in
// errors ("<field>: expected ...").
Result<Bytes> DecodeHexField(std::string_view field, std::string_view hex, size_t bytes_min,
                             size_t bytes_max);

}  // namespace hearth
