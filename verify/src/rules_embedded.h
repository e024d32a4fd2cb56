// rules_embedded.h: the shipped rule sets verify/rules/*.json, compiled into the library.
// The definitions are generated at configure time by CMakeLists.txt (hearth_verify) into
// the build directory as raw string literals; rules.cc (DefaultRuleSets) parses them.
// Thread-safety: constant data.
#pragma once

#include <cstddef>
#include <string_view>

namespace hearth::verify::internal {

struct EmbeddedRuleFile {
  std::string_view file;  // e.g. "dibao.json"
  std::string_view text;  // the file's bytes, verbatim
};

extern const EmbeddedRuleFile kEmbeddedRuleFiles[];
extern const size_t kEmbeddedRuleFilesCount;

}  // namespace hearth::verify::internal
