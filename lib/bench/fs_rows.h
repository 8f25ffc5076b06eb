// The filesystem bench workload (issue 18; docs/benchmarks.md), shared by
// capOS's fsbench (user/tests/fsbench.cpp, over fsd) and the Linux guest's
// fs_bench (bench/linux/fs_bench.cpp, over ext4) so both do exactly the
// same operations on the same names and bytes: 1,000 small files of 1 KiB
// (create+write+sync, then read back), one 64 MiB file in 8 KiB chunks
// (the largest a capOS File call moves inside the message), and one 64 MiB
// file in 1 MiB chunks (capOS: File.writeBulk/readBulk through a
// MemoryObject; Linux: pwrite/pread of 1 MiB).
//
// Portable and allocation-free: built for capOS programs, the Linux guest
// and the host test (tests/host/fs/fs_rows_test.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos::bench::fs {

constexpr uint32_t kSmallFiles = 1000;
constexpr uint32_t kSmallBytes = 1024;
constexpr uint32_t kSeqChunk = 8192;
constexpr uint64_t kSeqBytes = uint64_t{64} << 20;
constexpr uint32_t kSeqChunks = static_cast<uint32_t>(kSeqBytes / kSeqChunk);
constexpr uint64_t kSeqSeed = 0x5eed;
constexpr uint32_t kBulkChunk = 1u << 20;
constexpr uint32_t kBulkChunks = static_cast<uint32_t>(kSeqBytes / kBulkChunk);
constexpr uint64_t kBulkSeed = 0xb01c;
constexpr size_t kNameMax = 16;

// "f<i>" in decimal (at most kNameMax bytes, no NUL); returns its length.
inline size_t name_of(uint32_t i, char* out) {
  char digits[10];
  size_t n = 0;
  do digits[n++] = static_cast<char>('0' + i % 10); while ((i /= 10) != 0);
  out[0] = 'f';
  for (size_t k = 0; k < n; ++k) out[1 + k] = digits[n - 1 - k];
  return n + 1;
}

// The bytes of file `seed` at [off, off + len): a position-dependent
// pattern, so a block read from the wrong place or file is noticed.
inline void fill(uint64_t seed, uint64_t off, uint8_t* out, size_t len) {
  for (size_t k = 0; k < len; ++k) {
    uint64_t p = off + k;
    out[k] = static_cast<uint8_t>(seed * 131 + p * 7 + (p >> 9) + (p >> 17));
  }
}

inline void sort(uint64_t* a, uint32_t n) {  // heap sort: up to 8,192 samples, no library
  auto sift = [a](uint32_t i, uint32_t end) {
    for (;;) {
      uint32_t c = 2 * i + 1;
      if (c >= end) return;
      if (c + 1 < end && a[c + 1] > a[c]) ++c;
      if (a[i] >= a[c]) return;
      uint64_t t = a[i];
      a[i] = a[c];
      a[c] = t;
      i = c;
    }
  };
  for (uint32_t i = n / 2; i-- > 0;) sift(i, n);
  for (uint32_t end = n; end > 1; --end) {
    uint64_t t = a[0];
    a[0] = a[end - 1];
    a[end - 1] = t;
    sift(0, end - 1);
  }
}

inline uint64_t ops_per_s(uint64_t ops, uint64_t ns) { return ns ? ops * 1000000000ull / ns : 0; }
// bytes * 10^9 fits 64 bits for any run under 18 GB.
inline uint64_t kib_per_s(uint64_t bytes, uint64_t ns) { return ns ? bytes * 1000000000ull / ns / 1024 : 0; }

}  // namespace capos::bench::fs
