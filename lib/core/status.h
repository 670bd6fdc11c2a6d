// SPDX-License-Identifier: Apache-2.0
// Status and Result<T>: how lib/ reports failure. Exit codes are decided once, here, and only the
// tools turn a Status into one.
#pragma once

#include <fmt/format.h>

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace qf {

enum class StatusCode {
  kOk,
  kCompareFailed,  // a comparison fell below its threshold (qforge-diff)
  kUsage,          // bad flags or flag combinations
  kBadInput,       // a file we were given is missing, malformed or inconsistent
  kUnsupported,    // a valid model that uses something qforge does not implement
  kInternal,       // a bug in qforge or a failure of a library it calls
};

// 0 ok, 1 comparison failed, 2 usage, 3 bad input file, 4 unsupported model/op, 5 internal error.
int exit_code(StatusCode code);
const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes context ("while reading x.raw: ...") without changing the code.
  Status with_context(const std::string& context) const {
    if (is_ok()) return *this;
    return {code_, context + ": " + message_};
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename... Args>
Status usage_error(fmt::format_string<Args...> f, Args&&... args) {
  return {StatusCode::kUsage, fmt::format(f, std::forward<Args>(args)...)};
}
template <typename... Args>
Status bad_input(fmt::format_string<Args...> f, Args&&... args) {
  return {StatusCode::kBadInput, fmt::format(f, std::forward<Args>(args)...)};
}
template <typename... Args>
Status unsupported(fmt::format_string<Args...> f, Args&&... args) {
  return {StatusCode::kUnsupported, fmt::format(f, std::forward<Args>(args)...)};
}
template <typename... Args>
Status internal_error(fmt::format_string<Args...> f, Args&&... args) {
  return {StatusCode::kInternal, fmt::format(f, std::forward<Args>(args)...)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).is_ok()); }  // NOLINT

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return is_ok() ? kOkStatus : std::get<Status>(v_);
  }
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

}  // namespace qf

#define QF_CONCAT_INNER(a, b) a##b
#define QF_CONCAT(a, b) QF_CONCAT_INNER(a, b)

// Variadic so that template arguments with commas need no extra parentheses.
#define QF_RETURN_IF_ERROR(...)                  \
  do {                                           \
    ::qf::Status qf_status_ = (__VA_ARGS__);     \
    if (!qf_status_.is_ok()) return qf_status_;  \
  } while (0)

#define QF_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.is_ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define QF_ASSIGN_OR_RETURN(lhs, ...) \
  QF_ASSIGN_OR_RETURN_IMPL(QF_CONCAT(qf_result_, __LINE__), lhs, (__VA_ARGS__))
