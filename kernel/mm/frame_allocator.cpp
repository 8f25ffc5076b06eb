#include "kernel/mm/frame_allocator.h"

#include "lib/core/cstring.h"
#include "lib/core/utility.h"

namespace capos {

namespace {

uint64_t highest_usable_end(Span<const MemRegion> regions) {
  uint64_t top = 0;
  for (const auto& r : regions) {
    uint64_t end;
    if (r.type != MemType::Usable || add_overflow(r.base, r.length, &end)) continue;
    top = max(top, align_down(end, PAGE_SIZE));
  }
  return top;
}

bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
  return a < b + blen && b < a + alen;
}

}  // namespace

uint64_t FrameAllocator::storage_bytes(Span<const MemRegion> regions) {
  uint64_t frames = highest_usable_end(regions) / PAGE_SIZE;
  uint64_t words = (frames + 63) / 64;
  return align_up(words * 8 * 2, PAGE_SIZE);
}

Result<uint64_t> FrameAllocator::place_storage(Span<const MemRegion> regions, Span<const PhysRange> avoid,
                                               uint64_t bytes, uint64_t limit) {
  for (const auto& r : regions) {
    if (r.type != MemType::Usable) continue;
    uint64_t end;
    if (add_overflow(r.base, r.length, &end)) continue;
    uint64_t lo = max(align_up(r.base, PAGE_SIZE), PAGE_SIZE);  // never frame 0
    uint64_t hi = min(align_down(end, PAGE_SIZE), limit);
    // Slide past every avoided range that overlaps the candidate.
    uint64_t cand = lo;
    bool moved = true;
    while (moved && cand + bytes <= hi) {
      moved = false;
      for (const auto& a : avoid) {
        if (overlaps(cand, bytes, a.base, a.length)) {
          cand = align_up(a.base + a.length, PAGE_SIZE);
          moved = true;
        }
      }
    }
    if (cand + bytes <= hi && cand >= lo) return cand;
  }
  return fail(Err::OutOfMemory);
}

Status FrameAllocator::init(Span<const MemRegion> regions, uint64_t* storage, uint64_t bytes) {
  uint64_t frames = highest_usable_end(regions) / PAGE_SIZE;
  if (frames == 0) return fail(Err::NotFound);
  uint64_t words = (frames + 63) / 64;
  if (bytes < words * 16) return fail(Err::OutOfRange);
  managed_bm_ = storage;
  used_bm_ = storage + words;
  words_ = words;
  frame_count_ = frames;
  memset(storage, 0, words * 16);
  for (const auto& r : regions) {
    uint64_t end;
    if (r.type != MemType::Usable || add_overflow(r.base, r.length, &end)) continue;
    for (uint64_t f = align_up(r.base, PAGE_SIZE) / PAGE_SIZE; f < align_down(end, PAGE_SIZE) / PAGE_SIZE; ++f)
      set(managed_bm_, f);
  }
  // Firmware-claimed ranges win over overlapping usable ones.
  for (const auto& r : regions) {
    uint64_t end;
    if (r.type == MemType::Usable || add_overflow(r.base, r.length, &end)) continue;
    for (uint64_t f = r.base / PAGE_SIZE; f < align_up(end, PAGE_SIZE) / PAGE_SIZE && f < frames; ++f)
      clear(managed_bm_, f);
  }
  if (frames > 0) clear(managed_bm_, 0);  // frame 0: null-pointer hygiene
  managed_ = 0;
  for (uint64_t w = 0; w < words; ++w) managed_ += static_cast<uint64_t>(__builtin_popcountll(managed_bm_[w]));
  free_ = managed_;
  hint_ = 0;
  return {};
}

void FrameAllocator::reserve(uint64_t base, uint64_t length) {
  if (length == 0) return;
  uint64_t end;
  if (add_overflow(base, length, &end)) end = ~0ull;
  uint64_t last = min(align_up(end, PAGE_SIZE) / PAGE_SIZE, frame_count_);
  for (uint64_t f = base / PAGE_SIZE; f < last; ++f) {
    if (is_free_frame(f)) {
      set(used_bm_, f);
      --free_;
    }
  }
}

bool FrameAllocator::is_used(uint64_t phys) const {
  uint64_t f = phys / PAGE_SIZE;
  return f >= frame_count_ || !is_free_frame(f);
}

Result<uint64_t> FrameAllocator::alloc() {
  if (free_ == 0) return fail(Err::OutOfMemory);
  for (uint64_t n = 0; n < words_; ++n) {
    uint64_t w = (hint_ + n) % words_;
    uint64_t avail = managed_bm_[w] & ~used_bm_[w];
    if (!avail) continue;
    uint64_t f = w * 64 + static_cast<uint64_t>(__builtin_ctzll(avail));
    set(used_bm_, f);
    --free_;
    hint_ = w;
    return f * PAGE_SIZE;
  }
  return fail(Err::OutOfMemory);  // unreachable while free_ is accurate
}

Result<uint64_t> FrameAllocator::alloc_contiguous(uint64_t count, uint64_t align_frames) {
  if (count == 0 || !is_pow2(align_frames)) return fail(Err::InvalidArgument);
  if (count > free_) return fail(Err::OutOfMemory);
  if (count == 1 && align_frames == 1) return alloc();
  for (uint64_t start = 1; start + count <= frame_count_;) {
    start = align_up(start, align_frames);
    if (start + count > frame_count_) break;
    // Skip to the first free frame at or after `start`, a bitmap word at
    // a time (the low frames are mostly in use).
    uint64_t w = start / 64;
    uint64_t avail = (managed_bm_[w] & ~used_bm_[w]) >> (start % 64);
    if (!avail) {
      start = (w + 1) * 64;
      continue;
    }
    if (uint64_t skip = static_cast<uint64_t>(__builtin_ctzll(avail))) {
      start += skip;
      continue;  // realign
    }
    uint64_t i = 0;
    while (i < count && is_free_frame(start + i)) ++i;
    if (i == count) {
      for (uint64_t k = 0; k < count; ++k) set(used_bm_, start + k);
      free_ -= count;
      return start * PAGE_SIZE;
    }
    start += i + 1;  // skip past the blocking frame
  }
  return fail(Err::OutOfMemory);
}

Status FrameAllocator::free(uint64_t phys) {
  if (!is_aligned(phys, PAGE_SIZE)) return fail(Err::InvalidArgument);
  uint64_t f = phys / PAGE_SIZE;
  if (f >= frame_count_ || !test(managed_bm_, f)) return fail(Err::OutOfRange);
  if (!test(used_bm_, f)) return fail(Err::AlreadyExists);  // double free
  clear(used_bm_, f);
  ++free_;
  return {};
}

Status FrameAllocator::free_contiguous(uint64_t phys, uint64_t count) {
  // Validate the whole run first so a bad call changes nothing.
  for (uint64_t k = 0; k < count; ++k) {
    uint64_t f = phys / PAGE_SIZE + k;
    if (!is_aligned(phys, PAGE_SIZE) || f >= frame_count_ || !test(managed_bm_, f)) return fail(Err::OutOfRange);
    if (!test(used_bm_, f)) return fail(Err::AlreadyExists);
  }
  for (uint64_t k = 0; k < count; ++k) clear(used_bm_, phys / PAGE_SIZE + k);
  free_ += count;
  return {};
}

}  // namespace capos
