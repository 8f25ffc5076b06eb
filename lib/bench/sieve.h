// The SMP scaling workload (issue 15; docs/benchmarks.md): count the
// primes below a bound and sum them, split into `parts` shares of equal
// size, each a segmented sieve of Eratosthenes over odd numbers. Shares of
// equal length cost about the same, so the split is balanced; the total
// (count, sum) of all shares is the verifier: a scaling row counts only if
// it matches the one-share answer and the known count.
//
// Portable and allocation-free (the caller gives the segment buffer):
// built for capOS programs, the Linux guest's bench and the host test.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos::bench {

constexpr uint64_t SIEVE_LIMIT = 3'000'000;
constexpr uint64_t SIEVE_PRIMES_BELOW_LIMIT = 216'816;  // pi(3e6), a published value
constexpr size_t SIEVE_SEGMENT = 8192;                  // bytes of the caller's buffer

struct SieveResult {
  uint64_t count = 0;
  uint64_t sum = 0;
};

// [lo, hi) of share `part` of `parts` below `limit`.
inline void sieve_share(uint64_t limit, uint32_t part, uint32_t parts, uint64_t* lo, uint64_t* hi) {
  *lo = limit * part / parts;
  *hi = limit * (part + 1) / parts;
}

// Primes in [lo, hi): count and sum. `seg` holds SIEVE_SEGMENT bytes.
inline SieveResult sieve_range(uint64_t lo, uint64_t hi, uint8_t* seg) {
  SieveResult r;
  if (lo < 2) lo = 2;
  if (lo <= 2 && hi > 2) {
    r.count = 1;
    r.sum = 2;
  }
  if (lo % 2 == 0) ++lo;  // odd numbers only from here
  // Base primes (odd) up to sqrt(hi): a small plain sieve each call, so a
  // share depends on nothing but its bounds.
  uint64_t root = 1;
  while ((root + 1) * (root + 1) < hi) ++root;
  uint32_t base[512];
  size_t nbase = 0;
  for (uint64_t p = 3; p <= root && nbase < 512; p += 2) {
    bool prime = true;
    for (size_t i = 0; i < nbase && uint64_t{base[i]} * base[i] <= p; ++i)
      if (p % base[i] == 0) {
        prime = false;
        break;
      }
    if (prime) base[nbase++] = static_cast<uint32_t>(p);
  }
  // Segments of SIEVE_SEGMENT odd numbers: seg[i] stands for lo_seg + 2i.
  for (uint64_t start = lo; start < hi; start += 2 * SIEVE_SEGMENT) {
    uint64_t end = start + 2 * SIEVE_SEGMENT < hi ? start + 2 * SIEVE_SEGMENT : hi;
    size_t n = static_cast<size_t>((end - start + 1) / 2);
    for (size_t i = 0; i < n; ++i) seg[i] = 1;
    for (size_t b = 0; b < nbase; ++b) {
      uint64_t p = base[b];
      if (p * p >= end) break;
      uint64_t first = p * p;
      if (first < start) first = (start + p - 1) / p * p;
      if (first % 2 == 0) first += p;  // odd multiples only
      for (uint64_t m = first; m < end; m += 2 * p) seg[(m - start) / 2] = 0;
    }
    for (size_t i = 0; i < n; ++i) {
      uint64_t v = start + 2 * i;
      if (seg[i] && v < end && v > 1) {
        ++r.count;
        r.sum += v;
      }
    }
  }
  return r;
}

// One share of the standard workload.
inline SieveResult sieve_part(uint32_t part, uint32_t parts, uint8_t* seg) {
  uint64_t lo, hi;
  sieve_share(SIEVE_LIMIT, part, parts, &lo, &hi);
  return sieve_range(lo, hi, seg);
}

}  // namespace capos::bench
