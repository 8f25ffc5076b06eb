// The SMP scaling rows on Linux (issue 15), the same workload and verifier
// as capOS's user/bench/bench_scale.cpp: the sieve below 3e6
// (lib/bench/sieve.h) split over 1 and 2 pthreads (thread_scale_w*) or
// forked processes reporting through a pipe (process_scale_w*), sieved
// REPS times per sample; w1 and w2 samples alternate, SAMPLES of each,
// every pair printed (`BENCH pair=`), rows report the medians. Included by
// bench.cpp (uses its tsc() and g_tsc_hz).
#pragma once

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "lib/bench/sieve.h"

namespace scale {

constexpr unsigned REPS = 4, SAMPLES = 11, MAX_WORKERS = 2;

struct Share {
  unsigned part = 0, parts = 1;
  capos::bench::SieveResult result;
  bool consistent = true;
};

inline void* sieve_thread(void* arg) {
  auto* s = static_cast<Share*>(arg);
  static thread_local uint8_t seg[capos::bench::SIEVE_SEGMENT];
  for (unsigned r = 0; r < REPS; ++r) {
    auto got = capos::bench::sieve_part(s->part, s->parts, seg);
    if (r == 0) s->result = got;
    else if (got.count != s->result.count || got.sum != s->result.sum) s->consistent = false;
  }
  return nullptr;
}

inline bool verified(const Share* sh, unsigned n, uint64_t sum1) {
  uint64_t count = 0, sum = 0;
  for (unsigned i = 0; i < n; ++i) {
    if (!sh[i].consistent) return false;
    count += sh[i].result.count;
    sum += sh[i].result.sum;
  }
  return count == capos::bench::SIEVE_PRIMES_BELOW_LIMIT && (sum1 == 0 || sum == sum1);
}

template <class Tsc> bool thread_sample(unsigned w, Tsc tsc, uint64_t* cycles, uint64_t* sum1) {
  Share sh[MAX_WORKERS];
  pthread_t th[MAX_WORKERS];
  uint64_t t0 = tsc();
  for (unsigned i = 0; i < w; ++i) {
    sh[i].part = i;
    sh[i].parts = w;
    if (i && pthread_create(&th[i], nullptr, sieve_thread, &sh[i]) != 0) return false;
  }
  sieve_thread(&sh[0]);
  for (unsigned i = 1; i < w; ++i) pthread_join(th[i], nullptr);
  *cycles = tsc() - t0;
  if (w == 1 && sh[0].consistent) *sum1 = sh[0].result.sum;
  return verified(sh, w, *sum1);
}

template <class Tsc> bool process_sample(unsigned w, Tsc tsc, uint64_t* cycles, uint64_t sum1) {
  Share sh[MAX_WORKERS];
  int fds[MAX_WORKERS][2];
  pid_t pids[MAX_WORKERS];
  uint64_t t0 = tsc();
  for (unsigned i = 0; i < w; ++i) {
    sh[i].part = i;
    sh[i].parts = w;
    if (pipe(fds[i]) != 0) return false;
    pids[i] = fork();
    if (pids[i] < 0) return false;
    if (pids[i] == 0) {
      sieve_thread(&sh[i]);
      uint64_t msg[3] = {sh[i].result.count, sh[i].result.sum, sh[i].consistent ? 1u : 0u};
      ssize_t n = write(fds[i][1], msg, sizeof msg);
      _exit(n == static_cast<ssize_t>(sizeof msg) ? 0 : 1);
    }
    close(fds[i][1]);
  }
  bool ok = true;
  for (unsigned i = 0; i < w; ++i) {
    uint64_t msg[3] = {};
    ok &= read(fds[i][0], msg, sizeof msg) == static_cast<ssize_t>(sizeof msg);
    close(fds[i][0]);
    int st = 0;
    ok &= waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    sh[i].result.count = msg[0];
    sh[i].result.sum = msg[1];
    sh[i].consistent = msg[2] == 1;
  }
  *cycles = tsc() - t0;
  return ok && verified(sh, w, sum1);
}

inline void print_row(const char* row, uint64_t* v, double tsc_hz) {
  std::sort(v, v + SAMPLES);
  auto ns = [&](uint64_t c) { return tsc_hz > 0 ? static_cast<unsigned long long>(c * 1e9 / tsc_hz) : 0ull; };
  std::printf("BENCH row=%s iters=%u median_cycles=%llu p99_cycles=%llu min_cycles=%llu median_ns=%llu p99_ns=%llu\n",
              row, SAMPLES, static_cast<unsigned long long>(v[SAMPLES / 2]),
              static_cast<unsigned long long>(v[SAMPLES - 1]), static_cast<unsigned long long>(v[0]), ns(v[SAMPLES / 2]),
              ns(v[SAMPLES - 1]));
}

template <class Tsc> void run_rows(Tsc tsc, double tsc_hz) {
  static const char* const kThread[MAX_WORKERS] = {"thread_scale_w1", "thread_scale_w2"};
  static const char* const kProc[MAX_WORKERS] = {"process_scale_w1", "process_scale_w2"};
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  std::printf("BENCH cpus=%ld\n", cpus);
  if (cpus < 2) {
    for (const char* r : kThread) std::printf("BENCH row=%s status=na reason=one_cpu\n", r);
    for (const char* r : kProc) std::printf("BENCH row=%s status=na reason=one_cpu\n", r);
    std::fflush(stdout);
    return;
  }
  uint64_t sum1 = 0;
  uint64_t v[MAX_WORKERS][SAMPLES];
  bool ok = true;
  for (unsigned s = 0; s < SAMPLES && ok; ++s) {
    ok = thread_sample(1, tsc, &v[0][s], &sum1) && thread_sample(2, tsc, &v[1][s], &sum1);
    if (ok)
      std::printf("BENCH pair=thread_scale i=%u w1=%llu w2=%llu\n", s, static_cast<unsigned long long>(v[0][s]),
                  static_cast<unsigned long long>(v[1][s]));
  }
  for (unsigned k = 0; k < MAX_WORKERS; ++k) {
    if (ok) print_row(kThread[k], v[k], tsc_hz);
    else std::printf("BENCH row=%s status=na reason=verifier_failed\n", kThread[k]);
  }
  ok = true;
  for (unsigned s = 0; s < SAMPLES && ok; ++s) {
    ok = process_sample(1, tsc, &v[0][s], sum1) && process_sample(2, tsc, &v[1][s], sum1);
    if (ok)
      std::printf("BENCH pair=process_scale i=%u w1=%llu w2=%llu\n", s, static_cast<unsigned long long>(v[0][s]),
                  static_cast<unsigned long long>(v[1][s]));
  }
  for (unsigned k = 0; k < MAX_WORKERS; ++k) {
    if (ok) print_row(kProc[k], v[k], tsc_hz);
    else std::printf("BENCH row=%s status=na reason=verifier_failed\n", kProc[k]);
  }
  std::fflush(stdout);
}

}  // namespace scale
