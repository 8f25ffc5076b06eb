// capOS benchmark suite, Linux side (issue 8).
//
// A static host program that measures the Linux primitives capOS is compared
// with. It runs inside a Linux guest booted by tools/bench/run_bench.py (same
// QEMU flags as the capOS guest) and, in a few iterations, as the CTest smoke
// test `bench.linux_smoke` on the build host.
//
// Every figure is a per-iteration TSC delta, read with lfence;rdtsc;lfence.
// Cycles are converted to ns with a TSC frequency calibrated against
// clock_gettime(CLOCK_MONOTONIC_RAW). Each row also reports the wall-clock
// mean of the whole timed loop from clock_gettime as a cross-check.
//
// Output, one line per row (parsed by tools/bench/run_bench.py):
//   BENCH tsc_hz=<hz> tsc_invariant=<0|1> calib_ms=<ms>
//   BENCH row=<name> iters=<n> median_cycles=<c> p99_cycles=<c> min_cycles=<c>
//         median_ns=<ns> p99_ns=<ns> wall_mean_ns=<ns> [extra=...]
//   BENCH row=<name> status=na reason=<word>
//   BENCH done
//
// Usage: bench_linux [--iters N] [--spawn-iters N] [--true PATH]
//                    [--init-mark PATH] [--only ROW[,ROW...]]

#include <liburing.h>
#include <linux/futex.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "bench/linux/scale_rows.h"

extern char** environ;

namespace {

// ---------------------------------------------------------------- timing

inline uint64_t tsc() {
  _mm_lfence();
  uint64_t t = __rdtsc();
  _mm_lfence();
  return t;
}

inline uint64_t now_ns(clockid_t clk = CLOCK_MONOTONIC_RAW) {
  timespec ts;
  clock_gettime(clk, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

bool tsc_invariant() {
  unsigned a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000000u), "c"(0));
  if (a < 0x80000007u) return false;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000007u), "c"(0));
  return (d >> 8) & 1;
}

// TSC ticks per second, calibrated by spinning against CLOCK_MONOTONIC_RAW;
// median of three windows.
double calibrate_tsc(unsigned window_ms) {
  double est[3];
  for (double& e : est) {
    uint64_t t0 = now_ns(), c0 = tsc();
    uint64_t t1;
    do t1 = now_ns(); while (t1 - t0 < uint64_t(window_ms) * 1000000ull);
    uint64_t c1 = tsc();
    e = double(c1 - c0) * 1e9 / double(t1 - t0);
  }
  std::sort(est, est + 3);
  return est[1];
}

double g_tsc_hz = 1.0;

struct Stats {
  uint64_t median, p99, min;
};

Stats summarize(std::vector<uint64_t>& s) {
  std::sort(s.begin(), s.end());
  size_t n = s.size();
  uint64_t med = (n % 2) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  size_t i99 = (n * 99 + 99) / 100;  // ceil(0.99 n), nearest-rank
  if (i99 == 0) i99 = 1;
  return {med, s[std::min(i99, n) - 1], s[0]};
}

double to_ns(uint64_t cycles) { return double(cycles) * 1e9 / g_tsc_hz; }

void report(const char* row, std::vector<uint64_t>& samples, uint64_t wall_ns,
            unsigned per_sample_ops, const std::string& extra = "") {
  // samples hold cycles per timed iteration; per_sample_ops > 1 divides
  // each sample down to a per-operation figure (batched rows).
  size_t n = samples.size();
  for (auto& s : samples) s /= per_sample_ops;
  Stats st = summarize(samples);
  double wall_mean = double(wall_ns) / double(n) / per_sample_ops;
  std::printf(
      "BENCH row=%s iters=%zu median_cycles=%" PRIu64 " p99_cycles=%" PRIu64
      " min_cycles=%" PRIu64 " median_ns=%.1f p99_ns=%.1f wall_mean_ns=%.1f%s%s\n",
      row, n, st.median, st.p99, st.min, to_ns(st.median), to_ns(st.p99), wall_mean,
      extra.empty() ? "" : " ", extra.c_str());
  std::fflush(stdout);
}

void report_na(const char* row, const char* reason) {
  std::printf("BENCH row=%s status=na reason=%s\n", row, reason);
  std::fflush(stdout);
}

size_t warmup_of(size_t iters) { return std::max<size_t>(10, iters / 10); }

// Runs body() warmup+iters times, recording the TSC delta of the last iters.
template <class F>
bool timed_loop(const char* row, size_t iters, unsigned per_sample_ops, F&& body,
                const std::string& extra = "") {
  for (size_t i = 0, w = warmup_of(iters); i < w; ++i)
    if (!body()) return false;
  std::vector<uint64_t> samples(iters);
  uint64_t w0 = now_ns(CLOCK_MONOTONIC);
  for (size_t i = 0; i < iters; ++i) {
    uint64_t a = tsc();
    if (!body()) return false;
    uint64_t b = tsc();
    samples[i] = b - a;
  }
  uint64_t w1 = now_ns(CLOCK_MONOTONIC);
  report(row, samples, w1 - w0, per_sample_ops, extra);
  return true;
}

// ---------------------------------------------------------------- rows

void bench_tsc_overhead(size_t iters) {
  timed_loop("tsc_overhead", iters, 1, [] { return true; });
}

void bench_getppid(size_t iters) {
  timed_loop("getppid", iters, 1, [] {
    syscall(SYS_getppid);  // raw syscall: no libc caching possible
    return true;
  });
}

bool full_write(int fd, const void* p, size_t n) { return write(fd, p, n) == ssize_t(n); }
bool full_read(int fd, void* p, size_t n) { return read(fd, p, n) == ssize_t(n); }

// Child echoes one byte per round trip until it reads EOF.
void echo_child(int rfd, int wfd) {
  char c;
  while (full_read(rfd, &c, 1))
    if (!full_write(wfd, &c, 1)) break;
  _exit(0);
}

void bench_pipe(size_t iters) {
  int a[2], b[2];  // a: parent->child, b: child->parent
  if (pipe(a) || pipe(b)) return report_na("pipe_rtt", "pipe_failed");
  pid_t pid = fork();
  if (pid < 0) return report_na("pipe_rtt", "fork_failed");
  if (pid == 0) {
    close(a[1]);
    close(b[0]);
    echo_child(a[0], b[1]);
  }
  close(a[0]);
  close(b[1]);
  char c = 'x';
  bool ok = timed_loop("pipe_rtt", iters, 1, [&] {
    return full_write(a[1], &c, 1) && full_read(b[0], &c, 1);
  });
  if (!ok) report_na("pipe_rtt", "io_error");
  close(a[1]);
  close(b[0]);
  waitpid(pid, nullptr, 0);
}

void bench_unix(size_t iters) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return report_na("unix_rtt", "socketpair_failed");
  pid_t pid = fork();
  if (pid < 0) return report_na("unix_rtt", "fork_failed");
  if (pid == 0) {
    close(sv[0]);
    echo_child(sv[1], sv[1]);
  }
  close(sv[1]);
  char c = 'x';
  bool ok = timed_loop("unix_rtt", iters, 1, [&] {
    return full_write(sv[0], &c, 1) && full_read(sv[0], &c, 1);
  });
  if (!ok) report_na("unix_rtt", "io_error");
  close(sv[0]);
  waitpid(pid, nullptr, 0);
}

// One byte plus one file descriptor (SCM_RIGHTS) each way: the Linux
// analogue of an endpoint call that transfers a capability.
bool send_fd(int sock, int fd) {
  char c = 'x';
  iovec iov{&c, 1};
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = buf;
  m.msg_controllen = sizeof buf;
  cmsghdr* cm = CMSG_FIRSTHDR(&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cm), &fd, sizeof(int));
  return sendmsg(sock, &m, 0) == 1;
}

int recv_fd(int sock) {
  char c;
  iovec iov{&c, 1};
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(int))];
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = buf;
  m.msg_controllen = sizeof buf;
  if (recvmsg(sock, &m, 0) != 1) return -1;
  cmsghdr* cm = CMSG_FIRSTHDR(&m);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  std::memcpy(&fd, CMSG_DATA(cm), sizeof(int));
  return fd;
}

void bench_unix_scm(size_t iters) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return report_na("unix_rtt_scm", "socketpair_failed");
  pid_t pid = fork();
  if (pid < 0) return report_na("unix_rtt_scm", "fork_failed");
  if (pid == 0) {
    close(sv[0]);
    for (;;) {
      int fd = recv_fd(sv[1]);
      if (fd < 0) _exit(0);
      bool ok = send_fd(sv[1], fd);
      close(fd);
      if (!ok) _exit(1);
    }
  }
  close(sv[1]);
  int payload = sv[0];  // any fd will do; the child sends it back
  bool ok = timed_loop("unix_rtt_scm", iters, 1, [&] {
    if (!send_fd(sv[0], payload)) return false;
    int fd = recv_fd(sv[0]);
    if (fd < 0) return false;
    close(fd);
    return true;
  });
  if (!ok) report_na("unix_rtt_scm", "io_error");
  close(sv[0]);
  waitpid(pid, nullptr, 0);
}

long futex(std::atomic<uint32_t>* addr, int op, uint32_t val) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(addr), op | FUTEX_PRIVATE_FLAG, val,
                 nullptr, nullptr, 0);
}

// Waits until *w == want, sleeping in the kernel while it is not.
void futex_wait_for(std::atomic<uint32_t>& w, uint32_t want) {
  for (;;) {
    uint32_t v = w.load(std::memory_order_acquire);
    if (v == want) return;
    futex(&w, FUTEX_WAIT, v);
  }
}

struct FutexShared {
  std::atomic<uint32_t> seq{0};
  size_t rounds = 0;
};

void* futex_partner(void* p) {
  auto* s = static_cast<FutexShared*>(p);
  for (size_t k = 0; k < s->rounds; ++k) {
    futex_wait_for(s->seq, uint32_t(2 * k + 1));
    s->seq.store(uint32_t(2 * k + 2), std::memory_order_release);
    futex(&s->seq, FUTEX_WAKE, 1);
  }
  return nullptr;
}

// Round trip: A publishes 2k+1 and wakes B; B publishes 2k+2 and wakes A.
void bench_futex(size_t iters) {
  FutexShared s;
  s.rounds = warmup_of(iters) + iters;
  pthread_t th;
  if (pthread_create(&th, nullptr, futex_partner, &s)) return report_na("futex_rtt", "thread_failed");
  size_t k = 0;
  timed_loop("futex_rtt", iters, 1, [&] {
    s.seq.store(uint32_t(2 * k + 1), std::memory_order_release);
    futex(&s.seq, FUTEX_WAKE, 1);
    futex_wait_for(s.seq, uint32_t(2 * k + 2));
    ++k;
    return true;
  });
  pthread_join(th, nullptr);
}

void* empty_thread(void*) { return nullptr; }

void bench_pthread_create(size_t iters) {
  bool ok = true;
  timed_loop("pthread_create_join", iters, 1, [&] {
    pthread_t th;
    if (pthread_create(&th, nullptr, empty_thread, nullptr)) return ok = false;
    pthread_join(th, nullptr);
    return true;
  });
  if (!ok) report_na("pthread_create_join", "thread_failed");
}

void bench_uring(size_t iters, unsigned batch, const char* row) {
  io_uring ring;
  int r = io_uring_queue_init(64, &ring, 0);
  if (r < 0) {
    std::string reason = std::string("io_uring_queue_init_") + std::strerror(-r);
    for (auto& ch : reason) if (ch == ' ') ch = '_';
    return report_na(row, reason.c_str());
  }
  bool ok = timed_loop(
      row, iters, batch,
      [&] {
        for (unsigned i = 0; i < batch; ++i) {
          io_uring_sqe* sqe = io_uring_get_sqe(&ring);
          if (!sqe) return false;
          io_uring_prep_nop(sqe);
        }
        if (io_uring_submit_and_wait(&ring, batch) < int(batch)) return false;
        unsigned seen = 0;
        io_uring_cqe* cqe;
        unsigned head;
        io_uring_for_each_cqe(&ring, head, cqe) {
          if (cqe->res < 0) return false;
          ++seen;
        }
        io_uring_cq_advance(&ring, seen);
        return seen == batch;
      },
      "batch=" + std::to_string(batch) + " per=op");
  if (!ok) report_na(row, "io_uring_error");
  io_uring_queue_exit(&ring);
}

void bench_spawn(size_t iters, const std::string& true_path) {
  if (access(true_path.c_str(), X_OK) != 0) return report_na("posix_spawn_wait", "no_bench_true");
  char* argv[] = {const_cast<char*>(true_path.c_str()), nullptr};
  bool ok = timed_loop("posix_spawn_wait", iters, 1, [&] {
    pid_t pid;
    if (posix_spawn(&pid, true_path.c_str(), nullptr, nullptr, argv, environ) != 0) return false;
    int st;
    return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
  });
  if (!ok) report_na("posix_spawn_wait", "spawn_failed");
}

// The guest's /init (bench_init.cpp) records the TSC and CLOCK_BOOTTIME at
// its first instruction. Under KVM the guest TSC starts at 0 at vCPU reset,
// so tsc/tsc_hz is the time since the virtual machine started running.
void bench_boot(const std::string& mark_path) {
  FILE* f = mark_path.empty() ? nullptr : std::fopen(mark_path.c_str(), "r");
  if (!f) return report_na("boot_to_init", "not_booted_as_init");
  unsigned long long t = 0, bt = 0;
  int n = std::fscanf(f, "tsc=%llu boottime_ns=%llu", &t, &bt);
  std::fclose(f);
  if (n != 2) return report_na("boot_to_init", "bad_init_mark");
  double ns = to_ns(t);
  std::printf(
      "BENCH row=boot_to_init iters=1 median_cycles=%llu p99_cycles=%llu min_cycles=%llu "
      "median_ns=%.1f p99_ns=%.1f boottime_ns=%llu\n",
      t, t, t, ns, ns, bt);
  std::fflush(stdout);
}

bool selected(const std::vector<std::string>& only, const char* row) {
  return only.empty() || std::find(only.begin(), only.end(), row) != only.end();
}

std::string self_dir() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return ".";
  buf[n] = 0;
  std::string s(buf);
  auto slash = s.rfind('/');
  return slash == std::string::npos ? "." : s.substr(0, slash);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: bench_linux [--iters N] [--spawn-iters N] [--true PATH] "
               "[--init-mark PATH] [--only ROW,...]\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  size_t iters = 10000;
  long spawn_iters = -1;
  std::string true_path = self_dir() + "/bench_true";
  std::string init_mark;
  std::vector<std::string> only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) usage();
      return argv[++i];
    };
    if (a == "--iters") iters = std::strtoul(next().c_str(), nullptr, 10);
    else if (a == "--spawn-iters") spawn_iters = std::strtol(next().c_str(), nullptr, 10);
    else if (a == "--true") true_path = next();
    else if (a == "--init-mark") init_mark = next();
    else if (a == "--only") {
      std::string v = next();
      size_t p = 0;
      while (p <= v.size()) {
        size_t q = v.find(',', p);
        if (q == std::string::npos) q = v.size();
        if (q > p) only.push_back(v.substr(p, q - p));
        p = q + 1;
      }
    } else usage();
  }
  if (iters == 0) usage();
  // posix_spawn+wait costs ~1000x a syscall; cap it so a default run stays
  // short, but never below 1000 unless the caller asked for fewer iterations.
  size_t sp = spawn_iters > 0 ? size_t(spawn_iters) : std::min<size_t>(iters, 2000);

  unsigned calib_ms = iters >= 1000 ? 100 : 20;
  g_tsc_hz = calibrate_tsc(calib_ms);
  std::printf("BENCH tsc_hz=%.0f tsc_invariant=%d calib_ms=%u\n", g_tsc_hz, tsc_invariant() ? 1 : 0,
              calib_ms);
  std::fflush(stdout);

  if (selected(only, "boot_to_init")) bench_boot(init_mark);
  if (selected(only, "tsc_overhead")) bench_tsc_overhead(iters);
  if (selected(only, "getppid")) bench_getppid(iters);
  if (selected(only, "pipe_rtt")) bench_pipe(iters);
  if (selected(only, "unix_rtt")) bench_unix(iters);
  if (selected(only, "unix_rtt_scm")) bench_unix_scm(iters);
  if (selected(only, "futex_rtt")) bench_futex(iters);
  if (selected(only, "pthread_create_join")) bench_pthread_create(iters / 10 ? iters / 10 : 1);
  if (selected(only, "io_uring_nop_b1")) bench_uring(iters, 1, "io_uring_nop_b1");
  if (selected(only, "io_uring_nop_b32")) bench_uring(iters, 32, "io_uring_nop_b32");
  if (selected(only, "posix_spawn_wait")) bench_spawn(sp, true_path);
  if (selected(only, "scale")) scale::run_rows(tsc, g_tsc_hz);
  std::printf("BENCH done\n");
  std::fflush(stdout);
  return 0;
}
