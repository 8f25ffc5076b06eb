// A fixed-capacity byte FIFO over caller-provided storage: TCP send and
// receive buffers. Pushing into a full ring accepts what fits.
#pragma once

#include "lib/core/cstring.h"
#include "lib/core/span.h"

namespace capos::net {

class ByteRing {
 public:
  ByteRing(uint8_t* storage, size_t capacity) : buf_(storage), cap_(capacity) {}

  size_t size() const { return len_; }
  size_t capacity() const { return cap_; }
  size_t free() const { return cap_ - len_; }
  void clear() { head_ = len_ = 0; }

  // Appends as much of `data` as fits; returns how much.
  size_t push(Bytes data) {
    size_t n = min(data.size(), free());
    size_t tail = (head_ + len_) % cap_;
    size_t first = min(n, cap_ - tail);
    memcpy(buf_ + tail, data.data(), first);
    memcpy(buf_, data.data() + first, n - first);
    len_ += n;
    return n;
  }
  // Copies bytes [offset, offset + out.size()) of the content (clipped to
  // what is there) without removing them; returns how many were copied.
  size_t peek(size_t offset, MutBytes out) const {
    if (offset >= len_) return 0;
    size_t n = min(out.size(), len_ - offset);
    size_t start = (head_ + offset) % cap_;
    size_t first = min(n, cap_ - start);
    memcpy(out.data(), buf_ + start, first);
    memcpy(out.data() + first, buf_, n - first);
    return n;
  }
  // Drops the first n bytes (at most size()).
  void pop(size_t n) {
    n = min(n, len_);
    head_ = (head_ + n) % cap_;
    len_ -= n;
    if (len_ == 0) head_ = 0;
  }

 private:
  uint8_t* buf_;
  size_t cap_;
  size_t head_ = 0;
  size_t len_ = 0;
};

}  // namespace capos::net
