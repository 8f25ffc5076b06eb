// Busy cycles of a loop in the Linux bench guest (blk_bench, fs_bench).
// Under `-icount shift=0,sleep=off` the TSC counts retired instructions
// plus the virtual time QEMU skips while the CPU idles (up to the next
// timer deadline: it measures the timer, not the work). So a row's busy
// cycles are the TSC over its loop minus the CPUs' idle time over it
// (NOHZ idle_sleeptime + iowait_sleeptime from /proc/timer_list, in ns,
// converted at the loop's own TSC/ns ratio) — the figure capOS's bench
// clients take from SystemStatus.cpus busyCycles. docs/benchmarks.md.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "bench/linux/clock.h"

namespace {

// Idle ns of all CPUs since boot (the sum of every idle_sleeptime and
// iowait_sleeptime line), or -1 if the kernel does not report them.
inline int64_t idle_ns() {
  static char timer_list[1 << 20];
  int fd = open("/proc/timer_list", O_RDONLY);
  if (fd < 0) return -1;
  size_t len = 0;
  for (ssize_t n; len + 1 < sizeof(timer_list) &&
                  (n = read(fd, timer_list + len, sizeof(timer_list) - 1 - len)) > 0;)
    len += size_t(n);
  close(fd);
  timer_list[len] = 0;
  int64_t sum = 0;
  bool found = false;
  for (const char* key : {".idle_sleeptime", ".iowait_sleeptime"}) {
    for (const char* p = std::strstr(timer_list, key); p; p = std::strstr(p + 1, key)) {
      const char* colon = std::strchr(p, ':');
      if (!colon) break;
      sum += std::strtoll(colon + 1, nullptr, 10);
      found = true;
    }
  }
  return found ? sum : -1;
}

// A row's loop: start() before it, busy_field() after it.
struct BusyLoop {
  uint64_t ns0, tsc0;
  int64_t idle0;
};
inline BusyLoop busy_start() {
  BusyLoop l;
  l.idle0 = idle_ns();  // read first: no idle time between it and the clocks
  l.ns0 = now_ns();
  l.tsc0 = tsc();
  return l;
}
// Writes " busy_cycles_per_op=<c>" (busy cycles over the loop / n) into
// `out`, or nothing when the kernel reports no idle times; `*ns` gets the
// loop's monotonic ns.
inline void busy_field(const BusyLoop& l, uint32_t n, char* out, size_t out_len, uint64_t* ns) {
  uint64_t tsc1 = tsc(), ns1 = now_ns();
  int64_t idle1 = idle_ns();
  uint64_t cycles = tsc1 - l.tsc0;
  *ns = ns1 - l.ns0;
  out[0] = 0;
  if (l.idle0 >= 0 && idle1 >= l.idle0 && *ns && n) {
    double idle_cycles = double(idle1 - l.idle0) * double(cycles) / double(*ns);
    double b = idle_cycles < double(cycles) ? double(cycles) - idle_cycles : 0;
    std::snprintf(out, out_len, " busy_cycles_per_op=%llu", (unsigned long long)(b / n));
  }
}

}  // namespace
