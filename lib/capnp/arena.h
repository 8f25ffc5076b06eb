// BuilderArena: the segments a message is built into. Memory comes from
// the caller: a fixed buffer (no allocator; full = OutOfMemory) and/or a
// SegmentAllocator that supplies further segments. Allocation is a bump
// pointer per segment; freshly allocated words are zeroed here, so
// callers may pass dirty buffers and only touched words are written.
#pragma once

#include "lib/capnp/segments.h"

namespace capos::capnp {

// Supplies additional segments to a growable builder. The returned memory
// must stay valid (and untouched by others) for the builder's lifetime.
class SegmentAllocator {
 public:
  // Return at least `min_words` words (any alignment), or an empty span
  // when out of memory. `suggested_words` (>= min_words) is the arena's
  // geometric-growth hint. Contents need not be zeroed.
  virtual MutBytes allocate_segment(uint32_t min_words, uint32_t suggested_words) = 0;

 protected:
  ~SegmentAllocator() = default;
};

struct Allocation {
  uint32_t seg = 0;
  uint32_t word = 0;        // word index within the segment
  uint8_t* pos = nullptr;   // first allocated byte
};

class BuilderArena {
 public:
  // `table` stores the segment descriptors (its size bounds the segment
  // count); `alloc` may be null for a fixed arena.
  BuilderArena(Span<Segment> table, SegmentAllocator* alloc)
      : table_(table), alloc_(alloc), read_ctx_(table.data(), 0, kUnlimited) {}
  BuilderArena(const BuilderArena&) = delete;
  BuilderArena& operator=(const BuilderArena&) = delete;

  // Add caller memory as the next segment (e.g. the first, fixed buffer).
  // Inline: every FixedMessageBuilder (one per call) adds its buffer.
  Status add_segment(MutBytes mem) {
    if (count_ >= table_.size()) return fail(Err::LimitExceeded);
    uint64_t words = mem.size() / kBytesPerWord;
    // Offsets are signed 30-bit words: larger segments are not addressable.
    if (words > kMaxSegmentWords) words = kMaxSegmentWords;
    table_.data()[count_] = Segment{mem.data(), 0, static_cast<uint32_t>(words)};
    ++count_;
    total_words_ += words;
    return ok_status();
  }

  // Allocate in segment `seg` only; false if it has no room. Inline: it
  // is the builder's hot path (a bump and a small zero fill).
  bool try_allocate_in(uint32_t seg, uint32_t words, Allocation* out) {
    Segment& s = table_.data()[seg];  // seg < count_ by construction
    if (words > s.capacity - s.words) return false;
    uint8_t* pos = const_cast<uint8_t*>(s.start) + static_cast<size_t>(s.words) * kBytesPerWord;
    if (words <= 8) {
      for (uint32_t i = 0; i < words; ++i) store<uint64_t>(pos + i * kBytesPerWord, 0);
    } else {
      __builtin_memset(pos, 0, static_cast<size_t>(words) * kBytesPerWord);
    }
    *out = Allocation{seg, s.words, pos};
    s.words += words;
    return true;
  }
  // Allocate anywhere: the last segment (inline), else a new one from the
  // allocator.
  Result<Allocation> allocate(uint32_t words) {
    Allocation a;
    if (count_ > 0 && try_allocate_in(count_ - 1, words, &a)) return a;
    return allocate_new_segment(words);
  }

  uint8_t* seg_start(uint32_t seg) const { return const_cast<uint8_t*>(table_.data()[seg].start); }
  const Segment* segment(uint32_t seg) const { return &table_[seg]; }
  uint32_t segment_count() const { return count_; }
  Span<const Segment> segments() const { return Span<const Segment>(table_.data(), count_); }

  // Readers over the message being built. Its budget is unlimited: the
  // data is our own. The context tracks segments added later.
  ReadContext* read_context() {
    read_ctx_ = ReadContext(table_.data(), count_, kUnlimited);
    return &read_ctx_;
  }
  // Segment index of a Segment* that belongs to this arena.
  uint32_t index_of(const Segment* s) const { return static_cast<uint32_t>(s - table_.data()); }

  // Size of the next segment to request: grows geometrically like the
  // reference's GROW_HEURISTICALLY, so large messages use few segments.
  static constexpr uint32_t kMinNewSegmentWords = 1024;
  static constexpr uint32_t kMaxSegmentWords = 1u << 29;

 private:
  Result<Allocation> allocate_new_segment(uint32_t words);

  static constexpr ReaderOptions kUnlimited{~uint64_t{0}, 64};
  Span<Segment> table_;
  uint32_t count_ = 0;
  uint64_t total_words_ = 0;
  SegmentAllocator* alloc_;
  ReadContext read_ctx_;
};

}  // namespace capos::capnp
