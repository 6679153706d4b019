// Errors as values across the plugin boundary. A Status is ok or carries a code and a message a
// person can act on; Result<T> is a value or a non-ok Status. Neither ever carries a secret.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace hostapi {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (a setting, an id, an image)
  kNotFound,            // the thing named does not exist
  kAlreadyExists,
  kFailedPrecondition,  // the state is not what the call requires (e.g. avatar changed meanwhile)
  kPermissionDenied,    // credentials fine, rights missing
  kUnauthenticated,     // credentials wrong or expired
  kResourceExhausted,   // throttled, quota, size cap
  kUnavailable,         // transient: retry may succeed (timeouts, 5xx, resets)
  kCancelled,
  kDeadlineExceeded,
  kUnimplemented,
  kInternal,            // a bug or an unexpected state
};

/// A short stable name for a code, e.g. "PERMISSION_DENIED".
const char* statusCodeName(StatusCode code) noexcept;

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool isOk() const noexcept { return code_ == StatusCode::kOk; }
  explicit operator bool() const noexcept { return isOk(); }
  StatusCode code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  /// "PERMISSION_DENIED: message" or "OK".
  std::string toString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status notFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status failedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status permissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
inline Status resourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status internalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

/// A value or the Status saying why there is none. Constructing from an ok Status is a bug.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).isOk() && "Result constructed from an ok Status");
  }

  bool isOk() const noexcept { return std::holds_alternative<T>(v_); }
  explicit operator bool() const noexcept { return isOk(); }
  /// The status: ok() when a value is held.
  Status status() const { return isOk() ? Status::ok() : std::get<Status>(v_); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

inline const char* statusCodeName(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kAlreadyExists: return "ALREADY_EXISTS";
    case StatusCode::kFailedPrecondition: return "FAILED_PRECONDITION";
    case StatusCode::kPermissionDenied: return "PERMISSION_DENIED";
    case StatusCode::kUnauthenticated: return "UNAUTHENTICATED";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kCancelled: return "CANCELLED";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kUnimplemented: return "UNIMPLEMENTED";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

inline std::string Status::toString() const {
  if (isOk()) return "OK";
  return std::string(statusCodeName(code_)) + ": " + message_;
}

}  // namespace hostapi
