// Span<T>: a bounds-checked view (pointer + length). Accessors that can
// fail return Result; operator[] traps on misuse (a kernel bug, not input).
#pragma once

#include "lib/core/result.h"

namespace capos {

template <class T> class Span {
 public:
  constexpr Span() = default;
  constexpr Span(T* data, size_t size) : data_(data), size_(size) {}
  template <size_t N> constexpr Span(T (&arr)[N]) : data_(arr), size_(N) {}
  // Span<const T> from Span<T>.
  template <class U>
  constexpr Span(Span<U> o) requires(is_same_v<const U, T>) : data_(o.data()), size_(o.size()) {}

  constexpr T* data() const { return data_; }
  constexpr size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr T* begin() const { return data_; }
  constexpr T* end() const { return data_ + size_; }

  constexpr T& operator[](size_t i) const {
    if (i >= size_) __builtin_trap();
    return data_[i];
  }
  // Checked sub-range: fails instead of trapping, for untrusted offsets.
  Result<Span> subspan(size_t offset, size_t count) const {
    size_t end;
    if (add_overflow(offset, count, &end) || end > size_) return fail(Err::OutOfRange);
    return Span(data_ + offset, count);
  }
  Result<Span> subspan(size_t offset) const {
    if (offset > size_) return fail(Err::OutOfRange);
    return Span(data_ + offset, size_ - offset);
  }
  constexpr Span first(size_t n) const { return Span(data_, n < size_ ? n : size_); }

 private:
  T* data_ = nullptr;
  size_t size_ = 0;
};

using Bytes = Span<const uint8_t>;
using MutBytes = Span<uint8_t>;

}  // namespace capos
