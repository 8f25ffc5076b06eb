// The kernel log ring: a bounded, drop-oldest store of log records numbered
// by a sequence that only grows (1, 2, ...). Fed by the kernel's own log
// lines and by every LogSink; read through LogReader from a cursor, with a
// count of the records the reader missed because they were overwritten.
// Portable (host-tested); the kernel serializes access with its log lock.
#pragma once

#include <stdint.h>

#include "lib/core/cstring.h"
#include "lib/core/utility.h"

namespace capos {

class LogRing {
 public:
  static constexpr size_t kRecords = 128;
  static constexpr size_t kSourceMax = 32;
  static constexpr size_t kMessageMax = 512;  // schema maxLogMessageBytes

  struct Record {
    uint64_t seq;
    uint64_t ns;
    uint8_t level;  // schema LogLevel ordinal
    StrView source;
    StrView message;
  };
  struct ReadResult {
    uint64_t next_seq;  // pass as `from` next time
    uint64_t lost;      // records from `from` on that were overwritten
    uint32_t count;     // records visited
  };

  // Appends one record (source and message cut to their bounds) and
  // returns its sequence number; the oldest record goes when full.
  uint64_t append(uint64_t ns, uint8_t level, StrView source, StrView message);

  // Visits up to `max` records with seq >= `from` (0 = the oldest kept), in
  // order; `visit(const Record&)` returning false stops before that record
  // (it is not counted, and next_seq names it).
  template <class F> ReadResult read(uint64_t from, uint32_t max, F&& visit) const {
    uint64_t want = from ? from : 1;
    uint64_t oldest = oldest_seq();
    ReadResult r{want, want < oldest ? oldest - want : 0, 0};
    uint64_t s = want < oldest ? oldest : want;
    if (s > next_) s = next_;  // a cursor from the future restarts at the end
    for (; s < next_ && r.count < max; ++s) {
      const Slot& sl = slots_[s % kRecords];
      Record rec{sl.seq, sl.ns, sl.level, StrView(sl.source, sl.source_len), StrView(sl.message, sl.message_len)};
      if (!visit(rec)) break;
      ++r.count;
    }
    r.next_seq = s;
    return r;
  }

  uint64_t next_seq() const { return next_; }
  uint64_t oldest_seq() const { return next_ > kRecords ? next_ - kRecords : 1; }

 private:
  struct Slot {
    uint64_t seq = 0;
    uint64_t ns = 0;
    uint8_t level = 0;
    uint8_t source_len = 0;
    uint16_t message_len = 0;
    char source[kSourceMax];
    char message[kMessageMax];
  };
  Slot slots_[kRecords];
  uint64_t next_ = 1;
};

}  // namespace capos
