#include "lib/net/cycle_clock.h"

namespace capos::net {

namespace {

// round(a * 2^32 / d) for d < 2^63, or 0 when it does not fit 64 bits.
// Bit by bit: userspace has no 128-bit division helper (__udivti3), and
// this runs once per reading.
uint64_t div_q32(uint64_t a, uint64_t d) {
  uint64_t whole = a / d;
  if (whole >> 32) return 0;
  uint64_t r = a % d, frac = 0;
  for (int i = 0; i < 32; ++i) {
    r <<= 1;
    frac <<= 1;
    if (r >= d) {
      r -= d;
      frac |= 1;
    }
  }
  uint64_t q = (whole << 32) | frac;
  if ((r << 1) >= d) ++q;  // nearest
  return q;
}

}  // namespace

uint64_t CycleClock::monotonic(uint64_t ms) {
  if (ms > last_ms_) last_ms_ = ms;
  return last_ms_;
}

Result<uint64_t> CycleClock::now_ms(uint64_t cycles) {
  if (!ns_per_cycle_q32_ || cycles < at_cycles_) return fail(Err::NotFound);
  unsigned __int128 d = static_cast<unsigned __int128>(cycles - at_cycles_) * ns_per_cycle_q32_;
  d >>= 32;
  if (d >= max_age_ns_) return fail(Err::NotFound);
  return monotonic((at_ns_ + static_cast<uint64_t>(d)) / 1'000'000);
}

uint64_t CycleClock::anchor(uint64_t cycles, uint64_t ns) {
  if (!have_first_ || cycles < first_cycles_ || ns < first_ns_) {
    // The first reading, or a counter or clock that went back (a CPU with
    // another counter): start the baseline over.
    have_first_ = true;
    first_cycles_ = cycles;
    first_ns_ = ns;
    ns_per_cycle_q32_ = 0;
  } else if (ns - first_ns_ >= CALIBRATE_NS && cycles > first_cycles_ && cycles - first_cycles_ < (1ull << 63)) {
    // A rate too large to hold (under 2^-32 cycles per ns) is no rate.
    ns_per_cycle_q32_ = div_q32(ns - first_ns_, cycles - first_cycles_);
  }
  at_cycles_ = cycles;
  at_ns_ = ns;
  return monotonic(ns / 1'000'000);
}

}  // namespace capos::net
