// status.h: Status and Result<T>, the error values of Hearth.
//
// Contract:
//  - Bad input (peer bytes, client requests, config, files) and environment failures are
//    reported as a Status with a Code and a message naming what was wrong and where.
//  - Bugs are HEARTH_CHECK failures (check.h), never Status values.
//  - Both types are [[nodiscard]]: an ignored error is a compile error under -Werror.
// Thread-safety: values; distinct objects may be used from distinct threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "hearth/base/check.h"

namespace hearth {

enum class Code : uint8_t {
  kOk = 0,
  kInvalidArgument,   // malformed input: bad field, bad length, bad value
  kCorruption,        // stored or received bytes fail an integrity check
  kNotFound,          // the thing asked for does not exist (never used for corruption)
  kVerifyFailed,      // a signature, proof or certificate does not verify
  kAlreadyExists,     // a duplicate; callers treat it as idempotent success where documented
  kFailedPrecondition,// the request is well formed but the state does not allow it
  kOutOfRange,        // an index or size beyond what exists
  kUnavailable,       // try again later (full queue, peer down)
  kIOError,           // the environment failed (disk, fsync, socket)
  kInternal,          // an unexpected failure of a library we call
};

std::string_view CodeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status VerifyFailed(std::string m) { return {Code::kVerifyFailed, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {Code::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {Code::kFailedPrecondition, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {Code::kOutOfRange, std::move(m)}; }
  static Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: <message>", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is "<prefix>: <message>" (same code). OK stays OK.
  Status Annotate(std::string_view prefix) const;

  // Explicitly drops a Status where ignoring it is correct; say why at the call site.
  void IgnoreError() const {}

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    HEARTH_CHECK_MSG(!std::get<Status>(v_).ok(), "Result constructed from an OK Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  // REQUIRES: ok()
  T& value() & {
    HEARTH_CHECK_MSG(ok(), "Result::value() on an error");
    return std::get<T>(v_);
  }
  const T& value() const& {
    HEARTH_CHECK_MSG(ok(), "Result::value() on an error");
    return std::get<T>(v_);
  }
  T&& value() && {
    HEARTH_CHECK_MSG(ok(), "Result::value() on an error");
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace hearth

#define HEARTH_CONCAT_INNER(a, b) a##b
#define HEARTH_CONCAT(a, b) HEARTH_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define HEARTH_RETURN_IF_ERROR(expr)                   \
  do {                                                 \
    ::hearth::Status hearth_status_ = (expr);          \
    if (!hearth_status_.ok()) return hearth_status_;   \
  } while (0)

// `HEARTH_ASSIGN_OR_RETURN(auto x, Foo());` binds the value or returns the error.
#define HEARTH_ASSIGN_OR_RETURN(lhs, expr) \
  HEARTH_ASSIGN_OR_RETURN_IMPL(HEARTH_CONCAT(hearth_result_, __LINE__), lhs, expr)
#define HEARTH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
