// Block read figures, Linux side (issue 17): the counterpart of capOS's
// user/tests/blkbench.cpp, run inside the Linux bench guest against the
// same QEMU device (virtio-blk or NVMe over a null-co backend) by
// tools/bench/io_bench.py. O_DIRECT reads through io_uring, one in flight
// (capOS's client makes one synchronous BlockDevice call at a time), with
// the same request sizes, the same LBA sequence (xorshift64 over the
// first 16 MiB) and the same counts:
//   400 random 4 KiB reads: median and p99 TSC cycles per read (submit to
//   completion), ns per read and reads/s over the whole loop;
//   4 MiB of 8 KiB sequential reads: KiB/s;
//   400 random 4 KiB reads keeping 4 in flight (each slot resubmitted as it
//   completes): reads/s, and TSC deltas between consecutive completions
//   (blkbench's blk_read_4k_random_qd4; make bench reports the reads/s);
//   the same keeping 8 and 16 in flight (blk_read_4k_random_qd8, _qd16);
//   16 MiB of 1 MiB sequential reads, then writes, one in flight from one
//   buffer (capOS: readBulk / writeBulk): KiB/s and median TSC cycles per
//   1 MiB request (after one warm-up pass of reads, as blkbench).
// Under `-icount shift=0,sleep=off` the TSC counts retired instructions,
// so median_cycles is instructions per 4 KiB read, as for capOS.
//
// Output (parsed by tools/bench/io_bench.py, same keys as blkbench):
//   BENCH row=blk_read_4k_random iters=400 median_cycles=<c> p99_cycles=<c> ns_per_read=<ns> reads_per_s=<n>
//   BENCH row=blk_read_seq_8k bytes=<b> ns=<ns> kib_per_s=<n>
//   BENCH row=blk_read_4k_random_qd4 iters=400 median_cycles=<c> p99_cycles=<c> reads_per_s=<n>
//   BENCH row=blk_read_4k_random_qd8 iters=400 median_cycles=<c> p99_cycles=<c> reads_per_s=<n>
//   BENCH row=blk_read_4k_random_qd16 iters=400 median_cycles=<c> p99_cycles=<c> reads_per_s=<n>
//   BENCH row=blk_read_seq_1m bytes=16777216 ns=<ns> kib_per_s=<n> median_cycles=<c>
//   BENCH row=blk_write_seq_1m bytes=16777216 ns=<ns> kib_per_s=<n> median_cycles=<c>
//   BENCH done
// Usage: blk_bench DEVICE [--wait-ms N]   (waits for the device node to appear)
#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "bench/linux/clock.h"

namespace {

constexpr unsigned ITERS = 400;
constexpr uint64_t SPAN_BLOCKS = 16 * 1024 * 2;  // first 16 MiB, 512-byte blocks
constexpr uint64_t SEQ_BYTES = 4 << 20;
constexpr unsigned SEQ_CHUNK = 8192;

// One O_DIRECT read (or write) through the ring, waited for; false on any error.
bool read_at(io_uring* ring, int fd, void* buf, unsigned len, uint64_t off, bool write = false) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  if (!sqe) return false;
  if (write) io_uring_prep_write(sqe, fd, buf, len, off);
  else io_uring_prep_read(sqe, fd, buf, len, off);
  if (io_uring_submit(ring) != 1) return false;
  io_uring_cqe* cqe;
  if (io_uring_wait_cqe(ring, &cqe) != 0) return false;
  bool ok = cqe->res == int(len);
  if (!ok) std::fprintf(stderr, "blk_bench: read at %llu: %d\n", (unsigned long long)off, cqe->res);
  io_uring_cqe_seen(ring, cqe);
  return ok;
}

constexpr unsigned QD = 16;  // deepest queue measured
constexpr unsigned BULK = 1 << 20, BULK_CALLS = 16;

bool submit_at(io_uring* ring, int fd, void* buf, uint64_t off, unsigned slot) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  if (!sqe) return false;
  io_uring_prep_read(sqe, fd, buf, 4096, off);
  io_uring_sqe_set_data64(sqe, slot);
  return io_uring_submit(ring) == 1;
}

// ITERS random 4 KiB reads, `qd` in flight; samples[k] = TSC delta before completion k.
bool reads_qd(io_uring* ring, int fd, unsigned qd, uint64_t* samples, uint64_t* ns) {
  static void* bufs[QD];
  for (void*& b : bufs)
    if (!b && posix_memalign(&b, 4096, 4096)) return false;
  uint64_t x = 0x2545F4914F6CDD1Dull;
  auto next_off = [&] {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    return (x % (SPAN_BLOCKS / 8)) * 8 * 512;
  };
  uint64_t t0 = now_ns();
  for (unsigned i = 0; i < qd; ++i)
    if (!submit_at(ring, fd, bufs[i], next_off(), i)) return false;
  uint64_t last = tsc();
  for (unsigned done = 0, started = qd; done < ITERS; ++done) {
    io_uring_cqe* cqe;
    if (io_uring_wait_cqe(ring, &cqe) != 0 || cqe->res != 4096) return false;
    unsigned slot = unsigned(io_uring_cqe_get_data64(cqe));
    io_uring_cqe_seen(ring, cqe);
    uint64_t t = tsc();
    samples[done] = t - last;
    last = t;
    if (started < ITERS) {
      if (slot >= qd || !submit_at(ring, fd, bufs[slot], next_off(), slot)) return false;
      ++started;
    }
  }
  *ns = now_ns() - t0;
  return true;
}

// BULK_CALLS sequential 1 MiB requests from/into `buf`; samples[k] = TSC
// cycles of request k.
bool bulk_seq(io_uring* ring, int fd, void* buf, bool write, uint64_t* samples, uint64_t* ns) {
  uint64_t t0 = now_ns();
  for (unsigned i = 0; i < BULK_CALLS; ++i) {
    uint64_t c0 = tsc();
    if (!read_at(ring, fd, buf, BULK, uint64_t(i) * BULK, write)) return false;
    samples[i] = tsc() - c0;
  }
  *ns = now_ns() - t0;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: blk_bench DEVICE [--wait-ms N]\n");
    return 2;
  }
  unsigned wait_ms = 10000;
  if (argc >= 4 && !std::strcmp(argv[2], "--wait-ms")) wait_ms = unsigned(std::atoi(argv[3]));
  int fd = -1;
  for (unsigned waited = 0; fd < 0; waited += 10) {
    fd = open(argv[1], O_RDWR | O_DIRECT);
    if (fd >= 0) break;
    if (waited >= wait_ms) {
      std::printf("BENCH row=blk_read_4k_random status=na reason=no_device_%s\n", std::strerror(errno));
      std::printf("BENCH done\n");
      return 1;
    }
    usleep(10000);
  }
  io_uring ring;
  if (int e = io_uring_queue_init(QD, &ring, 0); e < 0) {
    std::printf("BENCH row=blk_read_4k_random status=na reason=io_uring_%s\n", std::strerror(-e));
    std::printf("BENCH done\n");
    return 1;
  }
  void* buf;
  if (posix_memalign(&buf, 4096, SEQ_CHUNK)) return 3;
  for (unsigned i = 0; i < 16; ++i)  // warm-up, as blkbench
    if (!read_at(&ring, fd, buf, 4096, uint64_t(i) * 4096)) return 4;

  static uint64_t samples[ITERS];
  uint64_t x = 0x2545F4914F6CDD1Dull;
  uint64_t t0 = now_ns();
  for (unsigned i = 0; i < ITERS; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    uint64_t lba = (x % (SPAN_BLOCKS / 8)) * 8;
    uint64_t c0 = tsc();
    if (!read_at(&ring, fd, buf, 4096, lba * 512)) return 5;
    samples[i] = tsc() - c0;
  }
  uint64_t ns = now_ns() - t0;
  std::sort(samples, samples + ITERS);
  std::printf("BENCH row=blk_read_4k_random iters=%u median_cycles=%llu p99_cycles=%llu ns_per_read=%llu "
              "reads_per_s=%llu\n",
              ITERS, (unsigned long long)samples[ITERS / 2], (unsigned long long)samples[ITERS * 99 / 100],
              (unsigned long long)(ns / ITERS), (unsigned long long)(ns ? ITERS * 1000000000ull / ns : 0));
  t0 = now_ns();
  for (uint64_t off = 0; off < SEQ_BYTES; off += SEQ_CHUNK)
    if (!read_at(&ring, fd, buf, SEQ_CHUNK, off)) return 6;
  ns = now_ns() - t0;
  std::printf("BENCH row=blk_read_seq_8k bytes=%llu ns=%llu kib_per_s=%llu\n", (unsigned long long)SEQ_BYTES,
              (unsigned long long)ns, (unsigned long long)(ns ? SEQ_BYTES * 1000000000ull / ns / 1024 : 0));
  for (unsigned qd = 4; qd <= QD; qd *= 2) {
    if (!reads_qd(&ring, fd, qd, samples, &ns)) return 7;
    std::sort(samples, samples + ITERS);
    std::printf("BENCH row=blk_read_4k_random_qd%u iters=%u median_cycles=%llu p99_cycles=%llu reads_per_s=%llu\n", qd,
                ITERS, (unsigned long long)samples[ITERS / 2], (unsigned long long)samples[ITERS * 99 / 100],
                (unsigned long long)(ns ? ITERS * 1000000000ull / ns : 0));
  }
  void* big;
  if (posix_memalign(&big, 4096, BULK)) return 8;
  std::memset(big, 0, BULK);
  if (!bulk_seq(&ring, fd, big, false, samples, &ns)) return 9;  // warm-up
  for (int w = 0; w < 2; ++w) {
    if (!bulk_seq(&ring, fd, big, w == 1, samples, &ns)) return 10;
    std::sort(samples, samples + BULK_CALLS);
    uint64_t bytes = uint64_t(BULK_CALLS) * BULK;
    std::printf("BENCH row=%s bytes=%llu ns=%llu kib_per_s=%llu median_cycles=%llu\n",
                w ? "blk_write_seq_1m" : "blk_read_seq_1m", (unsigned long long)bytes, (unsigned long long)ns,
                (unsigned long long)(ns ? bytes * 1000000000ull / ns / 1024 : 0),
                (unsigned long long)samples[BULK_CALLS / 2]);
  }
  std::printf("BENCH done\n");
  io_uring_queue_exit(&ring);
  close(fd);
  return 0;
}
