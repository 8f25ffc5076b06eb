// The two clocks the Linux I/O bench programs (blk, fs, net) read: the TSC
// fenced on both sides (per-operation cycles, the figure icount makes an
// instruction count) and CLOCK_MONOTONIC in ns (the rows' rates).
#pragma once

#include <x86intrin.h>

#include <cstdint>
#include <ctime>

namespace {

inline uint64_t tsc() {
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

inline uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

}  // namespace
