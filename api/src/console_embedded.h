// console_embedded.h (internal): the console files api/web/*, compiled into hearth_api. The
// definitions are generated at configure time by CMakeLists.txt into the build directory as
// raw string literals; console.cc serves them.
// Thread-safety: constant data.
#pragma once

#include <cstddef>
#include <string_view>

namespace hearth::api::internal {

struct EmbeddedWebFile {
  std::string_view file;  // e.g. "app.js"
  std::string_view text;  // the file's bytes, verbatim
};

extern const EmbeddedWebFile kEmbeddedWebFiles[];
extern const size_t kEmbeddedWebFilesCount;

}  // namespace hearth::api::internal
