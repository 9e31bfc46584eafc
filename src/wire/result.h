// Result<T>: a value or an NTSTATUS. The codec and the handlers return these
// instead of throwing; a Result holding an error has no value to misuse.
#pragma once

#include <utility>
#include <variant>

#include "wire/status.h"

namespace ringsmb::wire {

struct Err {
  NtStatus status;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::move(v)) {}  // NOLINT(google-explicit-constructor)
  Result(Err e) : v_(e) {}           // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  NtStatus status() const { return ok() ? status::SUCCESS : std::get<Err>(v_).status; }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Err> v_;
};

}  // namespace ringsmb::wire
