// FixedVector<T, N>: inline storage, no allocation, push fails when full.
#pragma once

#include "lib/core/span.h"

namespace capos {

template <class T, size_t N> class FixedVector {
 public:
  FixedVector() = default;
  FixedVector(const FixedVector&) = delete;
  FixedVector& operator=(const FixedVector&) = delete;
  ~FixedVector() { clear(); }

  [[nodiscard]] bool push_back(const T& v) {
    if (size_ == N) return false;
    new (slot(size_)) T(v);
    ++size_;
    return true;
  }
  [[nodiscard]] bool push_back(T&& v) {
    if (size_ == N) return false;
    new (slot(size_)) T(move(v));
    ++size_;
    return true;
  }
  void pop_back() {
    if (size_ == 0) __builtin_trap();
    --size_;
    slot(size_)->~T();
  }
  // Order-destroying O(1) removal.
  void swap_remove(size_t i) {
    if (i >= size_) __builtin_trap();
    if (i != size_ - 1) (*this)[i] = move((*this)[size_ - 1]);
    pop_back();
  }
  void clear() {
    while (size_ > 0) pop_back();
  }

  T& operator[](size_t i) {
    if (i >= size_) __builtin_trap();
    return *slot(i);
  }
  const T& operator[](size_t i) const {
    if (i >= size_) __builtin_trap();
    return *slot(i);
  }
  T& back() { return (*this)[size_ - 1]; }
  size_t size() const { return size_; }
  static constexpr size_t capacity() { return N; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == N; }
  T* begin() { return slot(0); }
  T* end() { return slot(size_); }
  const T* begin() const { return slot(0); }
  const T* end() const { return slot(size_); }
  Span<T> span() { return Span<T>(slot(0), size_); }

 private:
  T* slot(size_t i) { return reinterpret_cast<T*>(storage_) + i; }
  const T* slot(size_t i) const { return reinterpret_cast<const T*>(storage_) + i; }
  alignas(T) unsigned char storage_[sizeof(T) * N];
  size_t size_ = 0;
};

}  // namespace capos
