#include "hearth/base/status.h"

#include <cstdio>
#include <cstdlib>

namespace hearth {

namespace internal {
void CheckFailed(const char* file, int line, const char* expr, const char* msg) {
  std::fprintf(stderr, "HEARTH_CHECK failed at %s:%d: %s%s%s\n", file, line, expr,
               msg != nullptr ? ": " : "", msg != nullptr ? msg : "");
  std::fflush(stderr);
  std::abort();
}
}  // namespace internal

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kCorruption: return "corruption";
    case Code::kNotFound: return "not_found";
    case Code::kVerifyFailed: return "verify_failed";
    case Code::kAlreadyExists: return "already_exists";
    case Code::kFailedPrecondition: return "failed_precondition";
    case Code::kOutOfRange: return "out_of_range";
    case Code::kUnavailable: return "unavailable";
    case Code::kIOError: return "io_error";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(CodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

Status Status::Annotate(std::string_view prefix) const {
  if (ok()) return *this;
  std::string m(prefix);
  m += ": ";
  m += message_;
  return Status(code_, std::move(m));
}

}  // namespace hearth
