// threads_demo: the shell's multithreaded example, started with
//   run "threads_demo" with { stdio: client @stdio, threads: new threadSpawner, thread: new threadControl }
// Splits a sum over four threads, each keeping its partial in a
// thread_local and adding it to the shared total under an rt::Mutex; the
// initial thread joins them and checks the total.
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/sync.h"
#include "user/rt/thread.h"

using namespace capos;

namespace {

constexpr uint64_t N = 200000;
constexpr int WORKERS = 4;
rt::Mutex g_lock;
uint64_t g_total = 0;
thread_local uint64_t t_partial = 0;

int64_t worker(void* arg) {
  uint64_t w = reinterpret_cast<uint64_t>(arg);
  for (uint64_t i = w + 1; i <= N; i += WORKERS) t_partial += i;
  {
    rt::LockGuard g(g_lock);
    g_total += t_partial;
  }
  auto tid = rt::thread_id();
  rt::printf("threads_demo: worker {} (thread {}) summed {}\n", w, tid ? *tid : 0, t_partial);
  return static_cast<int64_t>(w);
}

}  // namespace

int main() {
  rt::Thread ts[WORKERS];
  for (int w = 0; w < WORKERS; ++w) {
    auto t = rt::Thread::start(worker, reinterpret_cast<void*>(static_cast<uint64_t>(w)));
    if (!t) {
      rt::printf("threads_demo: cannot start a thread: {} (grant threads: new threadSpawner and "
                 "thread: new threadControl)\n", err_name(t.error()));
      return 1;
    }
    ts[w] = move(*t);
  }
  for (int w = 0; w < WORKERS; ++w) {
    auto r = ts[w].join();
    if (!r || *r != w) return 2;
  }
  uint64_t want = N * (N + 1) / 2;
  rt::printf("threads_demo: {} threads summed 1..{} = {} ({})\n", WORKERS, N, g_total,
             g_total == want && t_partial == 0 ? "correct" : "WRONG");
  return g_total == want ? 0 : 3;
}
