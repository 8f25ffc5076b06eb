// Filesystem figures, Linux side (issue 18): the counterpart of capOS's
// user/tests/fsbench.cpp, run inside the Linux bench guest on ext4
// (mkfs.ext4 image behind the same virtio-blk device) by
// tools/bench/fs_bench.py. Same operations, names and bytes
// (lib/bench/fs_rows.h):
//   fs_create_small: 1,000 times open(O_CREAT|O_EXCL), write 1 KiB, fsync, close;
//   fs_read_small:   1,000 times open, read, close;
//   fs_write_seq:    64 MiB into one file in 8 KiB writes, then fsync;
//   fs_read_seq:     the 64 MiB back in 8 KiB reads;
//   fs_write_bulk:   64 MiB into another file in 1 MiB writes, then fsync;
//   fs_read_bulk:    those 64 MiB back in 1 MiB reads.
// Before each read row the page cache is dropped (sync, then
// /proc/sys/vm/drop_caches = 3), so reads come from the device as capOS's
// do (fsd keeps no data cache). Every read is checked.
//
// Instructions (under `-icount shift=0,sleep=off` the TSC counts retired
// instructions plus the virtual time skipped while the CPU idles): busy
// cycles per operation = TSC over the loop minus the CPU's idle time
// (NOHZ idle_sleeptime + iowait_sleeptime from /proc/timer_list, ns,
// converted at the loop's TSC/ns ratio), divided by the operations — the
// same figure capOS's fsbench takes from its scheduler's busy cycles. The
// per-operation TSC median and p99 (idle included) are printed as well.
// Per row: monotonic ns over the loop, as ops/s or KiB/s.
//
// Output (parsed by tools/bench/fs_bench.py, same keys as fsbench):
//   BENCH row=<row> iters=<n> busy_cycles_per_op=<c> median_cycles=<c> p99_cycles=<c> ns=<ns>
//         ops_per_s=<n> | kib_per_s=<n>
//   (busy_cycles_per_op is left out when /proc/timer_list has no idle times)
//   BENCH done
// Usage: fs_bench DIR [--keep-cache]   (DIR: an empty directory on the
// filesystem under test; --keep-cache, for the host smoke test, leaves the
// host's page cache alone)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "bench/linux/clock.h"
#include "lib/bench/fs_rows.h"

namespace rows = capos::bench::fs;

namespace {

uint64_t g_samples[rows::kSeqChunks];
uint8_t g_buf[rows::kSeqChunk];
uint8_t g_want[rows::kSeqChunk];
uint8_t g_bulk[rows::kBulkChunk];
bool g_keep_cache = false;

// Idle ns of all CPUs since boot (the sum of every idle_sleeptime and
// iowait_sleeptime line), or -1 if the kernel does not report them.
char g_timer_list[1 << 20];
int64_t idle_ns() {
  int fd = open("/proc/timer_list", O_RDONLY);
  if (fd < 0) return -1;
  size_t len = 0;
  for (ssize_t n; len + 1 < sizeof(g_timer_list) &&
                  (n = read(fd, g_timer_list + len, sizeof(g_timer_list) - 1 - len)) > 0;)
    len += size_t(n);
  close(fd);
  g_timer_list[len] = 0;
  int64_t sum = 0;
  bool found = false;
  for (const char* key : {".idle_sleeptime", ".iowait_sleeptime"}) {
    for (const char* p = std::strstr(g_timer_list, key); p; p = std::strstr(p + 1, key)) {
      const char* colon = std::strchr(p, ':');
      if (!colon) break;
      sum += std::strtoll(colon + 1, nullptr, 10);
      found = true;
    }
  }
  return found ? sum : -1;
}

// A row's loop: its start, then its end and the row line.
struct Loop {
  uint64_t ns0, tsc0;
  int64_t idle0;
};
Loop start() {
  Loop l;
  l.idle0 = idle_ns();  // read first: no idle time between it and the clocks
  l.ns0 = now_ns();
  l.tsc0 = tsc();
  return l;
}
void report(const char* row, Loop l, uint32_t n, uint64_t bytes) {
  uint64_t tsc1 = tsc(), ns1 = now_ns();
  int64_t idle1 = idle_ns();
  uint64_t ns = ns1 - l.ns0, cycles = tsc1 - l.tsc0;
  rows::sort(g_samples, n);
  uint64_t rate = bytes ? rows::kib_per_s(bytes, ns) : rows::ops_per_s(n, ns);
  char busy[48] = "";
  if (l.idle0 >= 0 && idle1 >= l.idle0 && ns) {
    double idle_cycles = double(idle1 - l.idle0) * double(cycles) / double(ns);
    double b = idle_cycles < double(cycles) ? double(cycles) - idle_cycles : 0;
    std::snprintf(busy, sizeof(busy), " busy_cycles_per_op=%llu", (unsigned long long)(b / n));
  }
  std::printf("BENCH row=%s iters=%u%s median_cycles=%llu p99_cycles=%llu ns=%llu %s=%llu\n", row, n, busy,
              (unsigned long long)g_samples[n / 2], (unsigned long long)g_samples[n * 99 / 100],
              (unsigned long long)ns, bytes ? "kib_per_s" : "ops_per_s", (unsigned long long)rate);
  std::fflush(stdout);
}

bool fail(const char* what, const std::string& path) {
  std::fprintf(stderr, "fs_bench: %s %s: %s\n", what, path.c_str(), std::strerror(errno));
  std::printf("fs_bench: FAILED: %s %s\n", what, path.c_str());
  return false;
}

bool drop_caches();

// The same 64 MiB in 1 MiB calls (fs_write_bulk, fs_read_bulk).
bool bulk_rows(const std::string& root) {
  std::string name = root + "/bulk";
  int fd = open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return fail("create", name);
  Loop l = start();
  for (uint32_t k = 0; k < rows::kBulkChunks; ++k) {
    rows::fill(rows::kBulkSeed, uint64_t{k} * rows::kBulkChunk, g_bulk, rows::kBulkChunk);
    uint64_t c0 = tsc();
    if (pwrite(fd, g_bulk, rows::kBulkChunk, off_t(k) * rows::kBulkChunk) != ssize_t(rows::kBulkChunk))
      return fail("write", name);
    if (k + 1 == rows::kBulkChunks && fsync(fd) != 0) return fail("fsync", name);
    g_samples[k] = tsc() - c0;
  }
  report("fs_write_bulk", l, rows::kBulkChunks, rows::kSeqBytes);
  if (!drop_caches()) return false;
  uint32_t bad = 0;
  l = start();
  for (uint32_t k = 0; k < rows::kBulkChunks; ++k) {
    uint64_t c0 = tsc();
    ssize_t n = pread(fd, g_bulk, rows::kBulkChunk, off_t(k) * rows::kBulkChunk);
    g_samples[k] = tsc() - c0;
    if (n != ssize_t(rows::kBulkChunk)) ++bad;
    for (uint32_t at = 0; at < rows::kBulkChunk; at += rows::kSeqChunk) {
      rows::fill(rows::kBulkSeed, uint64_t{k} * rows::kBulkChunk + at, g_want, rows::kSeqChunk);
      if (std::memcmp(g_bulk + at, g_want, rows::kSeqChunk) != 0) ++bad;
    }
  }
  report("fs_read_bulk", l, rows::kBulkChunks, rows::kSeqBytes);
  close(fd);
  if (bad) {
    std::printf("fs_bench: FAILED: %u of the 1 MiB chunks read back wrong\n", bad);
    return false;
  }
  return true;
}

bool drop_caches() {
  sync();
  if (g_keep_cache) return true;
  int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
  if (fd < 0) return fail("open", "/proc/sys/vm/drop_caches");
  bool ok = write(fd, "3\n", 2) == 2;
  close(fd);
  return ok || fail("write", "/proc/sys/vm/drop_caches");
}

std::string small_path(const std::string& dir, uint32_t i) {
  char name[rows::kNameMax];
  return dir + "/" + std::string(name, rows::name_of(i, name));
}

bool create_small(const std::string& dir, uint32_t i) {
  std::string p = small_path(dir, i);
  rows::fill(i, 0, g_buf, rows::kSmallBytes);
  int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return fail("create", p);
  bool ok = write(fd, g_buf, rows::kSmallBytes) == ssize_t(rows::kSmallBytes) && fsync(fd) == 0;
  close(fd);
  return ok || fail("write+fsync", p);
}

bool read_small(const std::string& dir, uint32_t i) {
  std::string p = small_path(dir, i);
  int fd = open(p.c_str(), O_RDONLY);
  if (fd < 0) return fail("open", p);
  ssize_t n = read(fd, g_buf, sizeof(g_buf));
  close(fd);
  rows::fill(i, 0, g_want, rows::kSmallBytes);
  if (n != ssize_t(rows::kSmallBytes) || std::memcmp(g_buf, g_want, rows::kSmallBytes) != 0)
    return fail("read back", p);
  return true;
}

bool run(const std::string& root) {
  std::string small = root + "/small";
  if (mkdir(small.c_str(), 0755) != 0) return fail("mkdir", small);
  Loop l = start();
  for (uint32_t i = 0; i < rows::kSmallFiles; ++i) {
    uint64_t c0 = tsc();
    if (!create_small(small, i)) return false;
    g_samples[i] = tsc() - c0;
  }
  report("fs_create_small", l, rows::kSmallFiles, 0);
  if (!drop_caches()) return false;
  l = start();
  for (uint32_t i = 0; i < rows::kSmallFiles; ++i) {
    uint64_t c0 = tsc();
    if (!read_small(small, i)) return false;
    g_samples[i] = tsc() - c0;
  }
  report("fs_read_small", l, rows::kSmallFiles, 0);

  std::string big = root + "/big";
  int fd = open(big.c_str(), O_RDWR | O_CREAT | O_EXCL, 0644);
  if (fd < 0) return fail("create", big);
  l = start();
  for (uint32_t k = 0; k < rows::kSeqChunks; ++k) {
    rows::fill(rows::kSeqSeed, uint64_t{k} * rows::kSeqChunk, g_buf, rows::kSeqChunk);
    uint64_t c0 = tsc();
    if (pwrite(fd, g_buf, rows::kSeqChunk, off_t(k) * rows::kSeqChunk) != ssize_t(rows::kSeqChunk))
      return fail("write", big);
    if (k + 1 == rows::kSeqChunks && fsync(fd) != 0) return fail("fsync", big);
    g_samples[k] = tsc() - c0;
  }
  report("fs_write_seq", l, rows::kSeqChunks, rows::kSeqBytes);
  if (!drop_caches()) return false;
  uint32_t bad = 0;
  l = start();
  for (uint32_t k = 0; k < rows::kSeqChunks; ++k) {
    uint64_t c0 = tsc();
    ssize_t n = pread(fd, g_buf, rows::kSeqChunk, off_t(k) * rows::kSeqChunk);
    g_samples[k] = tsc() - c0;
    rows::fill(rows::kSeqSeed, uint64_t{k} * rows::kSeqChunk, g_want, rows::kSeqChunk);
    if (n != ssize_t(rows::kSeqChunk) || std::memcmp(g_buf, g_want, rows::kSeqChunk) != 0) ++bad;
  }
  report("fs_read_seq", l, rows::kSeqChunks, rows::kSeqBytes);
  close(fd);
  if (bad) {
    std::printf("fs_bench: FAILED: %u of the 64 MiB file's chunks read back wrong\n", bad);
    return false;
  }
  return bulk_rows(root);
}

}  // namespace

int main(int argc, char** argv) {
  g_keep_cache = argc == 3 && std::strcmp(argv[2], "--keep-cache") == 0;
  if (argc != 2 && !g_keep_cache) {
    std::fprintf(stderr, "usage: fs_bench DIR [--keep-cache]\n");
    return 2;
  }
  if (!run(argv[1])) return 1;
  std::printf("BENCH done\n");
  return 0;
}
