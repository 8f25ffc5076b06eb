// /init of the Linux bench guest. Its first action is to read the TSC and
// CLOCK_BOOTTIME and print the boot marker on the console (ttyS0), so the
// host harness can timestamp "QEMU start -> first user instruction" and the
// guest can report it from its own clocks. It saves the values to
// /run/init_mark for bench_linux and then execs the busybox script
// /init.sh, which mounts proc/sys, runs the bench and powers off.
#include <fcntl.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cstdio>
#include <ctime>

int main() {
  _mm_lfence();
  unsigned long long t = __rdtsc();
  _mm_lfence();
  timespec ts;
  clock_gettime(CLOCK_BOOTTIME, &ts);
  unsigned long long bt = (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;

  char line[160];
  int n = std::snprintf(line, sizeof line, "BENCH mark=init_start tsc=%llu boottime_ns=%llu\n", t, bt);
  if (write(1, line, n) != n) {
    // No console: still run the bench; the harness will time out on the mark.
  }
  int fd = open("/run/init_mark", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    n = std::snprintf(line, sizeof line, "tsc=%llu boottime_ns=%llu\n", t, bt);
    if (write(fd, line, n) != n) {
    }
    close(fd);
  }
  char sh[] = "/bin/sh", script[] = "/init.sh";
  char* argv[] = {sh, script, nullptr};
  execv(sh, argv);
  std::perror("bench_init: execv /bin/sh");
  return 1;
}
