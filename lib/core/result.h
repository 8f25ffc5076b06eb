// Result<T, E>: a value or an error, never both; [[nodiscard]] so an
// ignored failure is a compile warning (an error under -Werror).
#pragma once

#include "lib/core/error.h"
#include "lib/core/utility.h"

namespace capos {

template <class E> struct Failure {
  E error;
};
// Tag helper: `return fail(Err::OutOfRange);` converts into any Result<T, Err>.
template <class E> constexpr Failure<E> fail(E e) { return Failure<E>{e}; }

template <class T, class E = Err> class [[nodiscard]] Result {
 public:
  constexpr Result(const T& v) : ok_(true) { new (&value_) T(v); }
  constexpr Result(T&& v) : ok_(true) { new (&value_) T(move(v)); }
  constexpr Result(Failure<E> f) : ok_(false) { error_ = f.error; }
  Result(const Result& o) : ok_(o.ok_) {
    if (ok_) new (&value_) T(o.value_); else error_ = o.error_;
  }
  Result(Result&& o) : ok_(o.ok_) {
    if (ok_) new (&value_) T(move(o.value_)); else error_ = o.error_;
  }
  Result& operator=(Result o) {
    this->~Result();
    new (this) Result(move(o));
    return *this;
  }
  ~Result() {
    if (ok_) value_.~T();
  }

  constexpr bool ok() const { return ok_; }
  constexpr explicit operator bool() const { return ok_; }
  constexpr E error() const { return ok_ ? E{} : error_; }

  T& value() & { check(); return value_; }
  const T& value() const& { check(); return value_; }
  T&& value() && { check(); return move(value_); }
  T value_or(T fallback) const { return ok_ ? value_ : fallback; }

  T* operator->() { check(); return &value_; }
  const T* operator->() const { check(); return &value_; }
  T& operator*() & { check(); return value_; }
  const T& operator*() const& { check(); return value_; }

 private:
  void check() const {
    if (!ok_) __builtin_trap();  // programming error: value() of a failure
  }
  bool ok_;
  union {
    T value_;
    E error_;
  };
};

template <class E> class [[nodiscard]] Result<void, E> {
 public:
  constexpr Result() : ok_(true), error_{} {}
  constexpr Result(Failure<E> f) : ok_(false), error_(f.error) {}
  constexpr bool ok() const { return ok_; }
  constexpr explicit operator bool() const { return ok_; }
  constexpr E error() const { return error_; }

 private:
  bool ok_;
  E error_;
};

using Status = Result<void, Err>;
constexpr Status ok_status() { return Status(); }

}  // namespace capos

// TRY(expr): evaluate a Result; on failure return its error from the
// enclosing function, otherwise yield the value (GNU statement expression,
// supported by both clang and gcc).
#define CAPOS_TRY(expr)                                   \
  ({                                                      \
    auto _capos_r = (expr);                               \
    if (!_capos_r.ok()) return ::capos::fail(_capos_r.error()); \
    ::capos::move(_capos_r).value();                      \
  })
// TRY_STATUS for Result<void, E>, which has no value to yield.
#define CAPOS_TRY_STATUS(expr)                            \
  do {                                                    \
    auto _capos_r = (expr);                               \
    if (!_capos_r.ok()) return ::capos::fail(_capos_r.error()); \
  } while (0)
