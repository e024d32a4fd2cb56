// check.h: assertions for broken invariants (bugs), never for bad input.
//
// HEARTH_CHECK stays on in every build type and stops the process loudly with its location.
// Input errors are Status values (status.h); a CHECK that fires is always a bug in Hearth.
// Thread-safe.
#pragma once

namespace hearth::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const char* msg);
}  // namespace hearth::internal

#define HEARTH_CHECK(cond)                                                   \
  do {                                                                       \
    if (!(cond)) [[unlikely]] {                                              \
      ::hearth::internal::CheckFailed(__FILE__, __LINE__, #cond, nullptr);   \
    }                                                                        \
  } while (0)

#define HEARTH_CHECK_MSG(cond, msg)                                          \
  do {                                                                       \
    if (!(cond)) [[unlikely]] {                                              \
      ::hearth::internal::CheckFailed(__FILE__, __LINE__, #cond, (msg));     \
    }                                                                        \
  } while (0)
