// A millisecond clock read from a cycle counter (the TSC in netd) between
// readings of an authoritative nanosecond clock (Timer.now). netd looks
// at the time on every pass of its loop, several passes per request: a
// Timer.now call each time was a kernel call per pass, a fifth of a
// round trip's instructions (docs/net.md "Performance"). The counter is
// converted with a rate measured from the authoritative readings
// themselves (from the first reading to the latest, so the error shrinks
// as the baseline grows), and a reading older than `max_age_ns` (by the
// counter's estimate) or a counter that stepped back asks for a new one.
// Time never goes back: a new reading behind what was already answered
// leaves the answer where it was until the clock catches up.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::net {

class CycleClock {
 public:
  // Readings at least this far apart (authoritative ns) give a rate.
  static constexpr uint64_t CALIBRATE_NS = 20'000'000;

  explicit CycleClock(uint64_t max_age_ns) : max_age_ns_(max_age_ns) {}
  // Milliseconds at `cycles` from the counter alone. NotFound: no rate
  // yet, the last reading is too old, or the counter went back; take an
  // authoritative reading (anchor) instead.
  Result<uint64_t> now_ms(uint64_t cycles);
  // An authoritative reading: `ns` at counter value `cycles`. Returns the
  // milliseconds to use now (never less than an earlier answer).
  uint64_t anchor(uint64_t cycles, uint64_t ns);
  bool calibrated() const { return ns_per_cycle_q32_ != 0; }

 private:
  uint64_t monotonic(uint64_t ms);

  uint64_t max_age_ns_;
  bool have_first_ = false;
  uint64_t first_cycles_ = 0, first_ns_ = 0;  // the rate's baseline
  uint64_t at_cycles_ = 0, at_ns_ = 0;        // the latest reading
  uint64_t ns_per_cycle_q32_ = 0;             // 32.32 fixed point; 0: no rate yet
  uint64_t last_ms_ = 0;
};

}  // namespace capos::net
