// Segments, read limits and the standard stream framing.
//
// A message is a table of segments (word arrays). Readers never own
// memory: a Segment points at caller bytes. ReadContext is the per-message
// mutable state shared by every reader derived from one root: the segment
// table (to resolve far pointers) and the traversal budget.
#pragma once

#include "lib/capnp/wire.h"
#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::capnp {

struct Segment {
  const uint8_t* start = nullptr;  // word-sized units; any alignment accepted
  uint32_t words = 0;              // readable words (builders: used words)
  uint32_t capacity = 0;           // builders only: allocated words
};

// Same defaults as the reference implementation (capnp::ReaderOptions).
struct ReaderOptions {
  uint64_t traversal_limit_words = 8 * 1024 * 1024;
  int32_t nesting_limit = 64;
};

class ReadContext {
 public:
  ReadContext() = default;
  ReadContext(const Segment* segs, uint32_t count, ReaderOptions opts)
      : segs_(segs), count_(count), budget_(opts.traversal_limit_words),
        nesting_limit_(opts.nesting_limit) {}

  const Segment* segment(uint32_t id) const { return id < count_ ? &segs_[id] : nullptr; }
  uint32_t segment_count() const { return count_; }
  int32_t nesting_limit() const { return nesting_limit_; }
  uint64_t budget() const { return budget_; }

  // Charge a read of `words` words. Once exhausted it stays exhausted, so
  // hostile messages (pointer loops, shared subtrees) do bounded work.
  bool charge(uint64_t words) {
    if (words > budget_) {
      budget_ = 0;
      return false;
    }
    budget_ -= words;
    return true;
  }

 private:
  const Segment* segs_ = nullptr;
  uint32_t count_ = 0;
  uint64_t budget_ = 0;
  int32_t nesting_limit_ = 0;
};

// Upper bound on segments in a framed message, as in the reference reader.
constexpr uint32_t kMaxStreamSegments = 512;

struct StreamInfo {
  uint32_t segment_count = 0;
  size_t bytes_consumed = 0;  // header + all segments
};

// Parse the standard framing (u32 count-1, u32 sizes[count], pad to 8,
// segments) at the start of `bytes` into `out`. Fails with Truncated when
// the bytes end early, LimitExceeded when `out` is too small or the count
// exceeds kMaxStreamSegments. Zero-copy: out[i].start points into `bytes`.
Result<StreamInfo> parse_stream(Bytes bytes, Span<Segment> out);

// Size of the framing header for `segment_count` segments, in bytes.
constexpr size_t stream_header_bytes(uint32_t segment_count) {
  return (4 * (static_cast<size_t>(segment_count) + 1) + 7) & ~static_cast<size_t>(7);
}

}  // namespace capos::capnp
