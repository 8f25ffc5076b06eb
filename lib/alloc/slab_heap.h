// Size-class heap over whole pages (portable; host-tested). Small blocks
// come from per-class slab pages; large ones get their own page run.
// Every block's page begins with a header, so free() needs no size and
// detects foreign or corrupted pointers.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"

namespace capos {

class PageSource {
 public:
  virtual void* alloc_pages(size_t count) = 0;  // page-aligned, or nullptr
  virtual void free_pages(void* p, size_t count) = 0;

 protected:
  ~PageSource() = default;
};

class SlabHeap {
 public:
  static constexpr size_t PAGE = 4096;
  static constexpr size_t HEADER = 64;  // keeps every block 16-byte aligned
  static constexpr size_t NUM_CLASSES = 8;  // 16 .. 2048
  static constexpr size_t MAX_SMALL = 2048;

  explicit SlabHeap(PageSource& src) : src_(&src) {}
  void* alloc(size_t size);
  // Returns false for a pointer this heap did not hand out (caller panics).
  [[nodiscard]] bool free(void* p);
  // The usable size of a live block (its class size, or a large block's
  // requested size): what realloc may keep. InvalidArgument for a pointer
  // this heap did not hand out.
  Result<size_t> block_size(const void* p) const;

  struct Stats {
    size_t bytes_in_use;   // sum of requested sizes rounded to their class
    size_t pages_held;     // pages taken from the PageSource
    size_t allocations;    // live blocks
  };
  Stats stats() const { return stats_; }

 private:
  struct PageHeader;
  struct FreeBlock {
    FreeBlock* next;
  };
  static size_t class_size(size_t c) { return size_t{16} << c; }
  static int class_for(size_t size);
  void* alloc_small(int c);
  void* alloc_large(size_t size);

  PageSource* src_;
  PageHeader* partial_[NUM_CLASSES] = {};  // slab pages with free blocks
  Stats stats_{};
};

}  // namespace capos
