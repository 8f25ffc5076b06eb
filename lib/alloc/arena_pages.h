// A PageSource over a fixed static arena of `Pages` 4 KiB pages, first fit
// by a bitmap: the heap of a program that has no VirtualMemory (the
// runtime's default heap, a service's private heap). The arena's pages
// are demand-zero bss: untouched pages cost nothing.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/alloc/slab_heap.h"

namespace capos {

template <size_t Pages> class ArenaPages final : public PageSource {
  static_assert(Pages % 64 == 0, "the bitmap has whole words");

 public:
  explicit ArenaPages(uint8_t* arena) : arena_(arena) {}

  void* alloc_pages(size_t count) override {
    for (size_t start = 0; start + count <= Pages;) {
      size_t i = 0;
      while (i < count && !used(start + i)) ++i;
      if (i == count) {
        for (size_t k = 0; k < count; ++k) set(start + k, true);
        return arena_ + start * 4096;
      }
      start += i + 1;
    }
    return nullptr;
  }
  void free_pages(void* p, size_t count) override {
    size_t first = static_cast<size_t>(static_cast<uint8_t*>(p) - arena_) / 4096;
    for (size_t k = 0; k < count; ++k) set(first + k, false);
  }

 private:
  bool used(size_t i) const { return bits_[i / 64] & (uint64_t{1} << (i % 64)); }
  void set(size_t i, bool v) {
    if (v) bits_[i / 64] |= uint64_t{1} << (i % 64);
    else bits_[i / 64] &= ~(uint64_t{1} << (i % 64));
  }
  uint8_t* arena_;
  uint64_t bits_[Pages / 64] = {};
};

}  // namespace capos
