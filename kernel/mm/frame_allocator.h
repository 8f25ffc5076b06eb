// Physical frame allocator: two bitmaps over frames [0, frame_count):
// `managed` (frame came from a usable region) and `used`. Portable and
// host-tested; the kernel wraps it with a lock (kernel/mm/frames.h).
// Freeing a frame that is unmanaged or already free is reported, never
// silently accepted, so double frees surface at the point of the bug.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/mm/memmap.h"
#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos {

class FrameAllocator {
 public:
  // Bytes of bitmap storage needed for the given map (both bitmaps).
  static uint64_t storage_bytes(Span<const MemRegion> regions);
  // Finds a page-aligned usable home for `bytes` of storage below `limit`,
  // avoiding every `avoid` range. Returns its physical address.
  static Result<uint64_t> place_storage(Span<const MemRegion> regions, Span<const PhysRange> avoid,
                                        uint64_t bytes, uint64_t limit);

  // `storage` must hold storage_bytes(regions) bytes (any content).
  // Usable regions are trimmed inward to page boundaries; overlaps with
  // any non-usable region are excluded (firmware wins).
  Status init(Span<const MemRegion> regions, uint64_t* storage, uint64_t storage_bytes);
  // The same storage seen through a different virtual window.
  void rebase_storage(uint64_t* storage) {
    managed_bm_ = storage;
    used_bm_ = storage + words_;
  }
  uint64_t* storage() const { return managed_bm_; }
  // Boot-time: mark a range used (kernel image, modules, storage, frame 0).
  void reserve(uint64_t base, uint64_t length);

  Result<uint64_t> alloc();
  // `count` physically contiguous frames aligned to `align_frames` (pow2).
  Result<uint64_t> alloc_contiguous(uint64_t count, uint64_t align_frames = 1);
  Status free(uint64_t phys);
  Status free_contiguous(uint64_t phys, uint64_t count);

  uint64_t free_frames() const { return free_; }
  uint64_t managed_frames() const { return managed_; }
  uint64_t frame_count() const { return frame_count_; }
  bool is_used(uint64_t phys) const;

 private:
  static bool test(const uint64_t* bm, uint64_t i) { return bm[i >> 6] & (1ull << (i & 63)); }
  static void set(uint64_t* bm, uint64_t i) { bm[i >> 6] |= 1ull << (i & 63); }
  static void clear(uint64_t* bm, uint64_t i) { bm[i >> 6] &= ~(1ull << (i & 63)); }
  bool is_free_frame(uint64_t i) const { return test(managed_bm_, i) && !test(used_bm_, i); }

  uint64_t* managed_bm_ = nullptr;
  uint64_t* used_bm_ = nullptr;
  uint64_t words_ = 0;
  uint64_t frame_count_ = 0;
  uint64_t managed_ = 0;
  uint64_t free_ = 0;
  uint64_t hint_ = 0;  // word index where the next search starts
};

}  // namespace capos
