// capos.test=hostile: runs user/tests/hostile.cpp twice; the kernel must
// survive, the process must pass its own checks, and the second run must
// return frames and heap to exactly the first run's baseline.
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "kernel/ring/dispatch.h"
#include "kernel/sched/scheduler.h"
#include "kernel/selftest_internal.h"

namespace capos::selftest {

namespace {

Bytes g_image;

void round(int n) CAPOS_REQUIRES(g_kernel_lock) {
  Ref<EndpointCore> core = EndpointCore::create(0);
  {
    Ref<EndpointOwner> owner = EndpointOwner::create(core);  // released at once: the endpoint dies
  }
  auto p = Process::create("hostile", g_image);
  if (!p) panic("selftest hostile: cannot create: {} ({})", err_name(p.error().code), p.error().detail);
  if (!(*p)->grant("dead", Ref<KObject>(ClientEndpoint::create(core)), 0))
    panic("selftest hostile: grant failed");
  Ref<ExitWatch> w = (*p)->share_watch();
  RingStats before = ring_stats();
  (*p)->start();
  w->wait();
  RingStats after = ring_stats();
  const ExitStatus& st = w->status();
  if (st.kind != ExitStatus::Kind::Exited || st.code != 0)
    panic("selftest hostile: round {} failed: kind {} code {}", n, static_cast<int>(st.kind), st.code);
  klog("selftest hostile: round {}: {} SQEs, {} rejected with an error CQE\n", n, after.sqes - before.sqes,
       after.errors - before.errors);
  settle_processes();
}

void hostile_thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  round(1);
  uint64_t frames_before = frames::free_count();
  size_t heap_before = heap::stats().allocations;
  round(2);
  uint64_t frames_after = frames::free_count();
  size_t heap_after = heap::stats().allocations;
  klog("selftest hostile: free frames {} -> {}; heap allocations {} -> {}\n", frames_before, frames_after,
       heap_before, heap_after);
  if (frames_after != frames_before || heap_after != heap_before) panic("selftest hostile: leak detected");
  klog("capOS: selftest hostile ok\n");
  debug_exit::exit(debug_exit::SUCCESS);
}

}  // namespace

void run_hostile(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest hostile: needs the hostile program as the boot module");
  g_image = module;
  auto t = Thread::create_kernel("selftest-hostile", hostile_thread, nullptr);
  if (!t) panic("selftest hostile: no thread");
  sched::make_runnable(*t);
  sched::start();
}

}  // namespace capos::selftest
