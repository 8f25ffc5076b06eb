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
// `return fail(Err::InvalidArgument, "segment overlaps the stack");` for a
// Result<T, DetailedErr>; `detail` must be static (lib/core/error.h).
constexpr Failure<DetailedErr> fail(Err e, const char* detail) { return Failure<DetailedErr>{DetailedErr{e, detail}}; }

template <class T, class E> inline constexpr bool trivial_result = false;

namespace detail {

// The storage of a Result: the copy, move and destruction of the value
// are explicit, so a Result is returned through memory. A pair (T, E)
// that opts in with trivial_result (both trivially copyable, each fitting
// a register) gets a trivially copyable Result, returned in two registers:
// the ring and IPC paths return one on every operation
// (kernel/cap/cap_result.h). Opt-in, not automatic: making every small
// Result trivial changes code generation across the kernel (measured: a
// few instructions more per spawn), which perf.budgets forbids.
template <class T, class E, bool Trivial = trivial_result<T, E>>
class ResultStorage {
 protected:
  constexpr explicit ResultStorage(bool ok) : ok_(ok) {}
  ResultStorage(const ResultStorage& o) : ok_(o.ok_) {
    if (ok_) new (&value_) T(o.value_); else error_ = o.error_;
  }
  ResultStorage(ResultStorage&& o) : ok_(o.ok_) {
    if (ok_) new (&value_) T(move(o.value_)); else error_ = o.error_;
  }
  ~ResultStorage() {
    if (ok_) value_.~T();
  }
  bool ok_;
  union {
    T value_;
    E error_;
  };
};

template <class T, class E> class ResultStorage<T, E, true> {
  static_assert(__is_trivially_copyable(T) && __is_trivially_copyable(E) && sizeof(T) <= 8 && sizeof(E) <= 8,
                "trivial_result is for small trivially copyable pairs");

 protected:
  constexpr explicit ResultStorage(bool ok) : ok_(ok) {}
  bool ok_;
  union {
    T value_;
    E error_;
  };
};

}  // namespace detail

template <class T, class E = Err> class [[nodiscard]] Result : private detail::ResultStorage<T, E> {
  using Storage = detail::ResultStorage<T, E>;

 public:
  constexpr Result(const T& v) : Storage(true) { new (&this->value_) T(v); }
  constexpr Result(T&& v) : Storage(true) { new (&this->value_) T(move(v)); }
  constexpr Result(Failure<E> f) : Storage(false) { this->error_ = f.error; }
  Result(const Result&) = default;
  Result(Result&&) = default;
  ~Result() = default;
  Result& operator=(Result o) {
    this->~Result();
    new (this) Result(move(o));
    return *this;
  }

  constexpr bool ok() const { return this->ok_; }
  constexpr explicit operator bool() const { return this->ok_; }
  constexpr E error() const { return this->ok_ ? E{} : this->error_; }

  T& value() & { check(); return this->value_; }
  const T& value() const& { check(); return this->value_; }
  T&& value() && { check(); return move(this->value_); }
  T value_or(T fallback) const { return this->ok_ ? this->value_ : fallback; }

  T* operator->() { check(); return &this->value_; }
  const T* operator->() const { check(); return &this->value_; }
  T& operator*() & { check(); return this->value_; }
  const T& operator*() const& { check(); return this->value_; }

 private:
  void check() const {
    if (!this->ok_) __builtin_trap();  // programming error: value() of a failure
  }
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
