// The issue-22 hostile class (docs/testing.md), with the hostile22
// program (user/tests/hostile22_*.cpp) in roles:
//   liveness         the watchdog's sleeps stay on schedule while ring
//                    stallers, NOP and endpoint flooders and a sparse
//                    map/unmap storm run, and hostiles are killed and
//                    respawned at random moments (kill races)
//   quota_isolation  a hog holding its whole (lowered) quota through every
//                    path cannot push free frames below what its quota
//                    allows; another process still gets frames
//   kill_anytime     hostiles of every role killed at random points;
//                    frames and heap return exactly to the baseline
//   poll_handoff     (two CPUs) a polling kernel thread does not keep the
//                    kernel lock from the CPU a handoff is queued on
// Random choices come from a fixed seed printed in the log.
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/dev/timer.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/ring/dispatch.h"
#include "kernel/sched/scheduler.h"
#include "kernel/selftest_internal.h"
#include "kernel/selftest_procs.h"
#include "lib/abi/layout.h"
#include "lib/core/cstring.h"

namespace capos::selftest {

namespace liveness {

using namespace procs;
using K = ExitStatus::Kind;

Bytes g_image;
const char* g_test = "";
constexpr uint64_t SEED = 0x22C0FFEE22ull;

Child role(const char* r, EndpointCore* ep = nullptr)
    CAPOS_REQUIRES(g_kernel_lock) { return spawn_role(g_test, g_image, r, ep); }

// SQEs the hostile processes must have pushed through the kernel during
// one liveness run (the three tests together pass 10^6).
constexpr uint64_t LIVENESS_MIN_SQES = 500000;

void run_liveness() CAPOS_REQUIRES(g_kernel_lock) {
  Rng rng{SEED};
  klog("selftest liveness: seed {:#x}\n", SEED);
  Ref<EndpointCore> core = EndpointCore::create(ECHO_IFACE);
  Child srv = role("server", core.get());
  static const char* const kinds[] = {"stall", "nops", "flood", "flood", "storm", "nops"};
  constexpr int N = sizeof(kinds) / sizeof(kinds[0]);
  Child h[N];
  uint64_t sqes0 = ring_stats().sqes;
  for (int i = 0; i < N; ++i) h[i] = role(kinds[i], core.get());
  Child w = role("watchdog");
  uint32_t kills = 0;
  while (!w.watch->exited()) {
    wait_ticks(1 + rng.below(8));
    if (w.watch->exited() || kills >= 60) continue;
    int i = static_cast<int>(rng.below(N));
    kill(h[i]);
    expect_end(g_test, h[i], K::Killed, 0, 100);
    h[i] = role(kinds[i], core.get());
    ++kills;
  }
  expect_end(g_test, w, K::Exited, 0);
  uint64_t sqes = ring_stats().sqes - sqes0;
  for (Child& c : h) kill(c);
  for (Child& c : h) expect_end(g_test, c, K::Killed, 0, 100);
  kill(srv);
  expect_end(g_test, srv, K::Killed, 0, 100);
  klog("selftest liveness: {} SQEs from hostile processes during the watchdog run; {} kill races\n", sqes, kills);
  if (sqes < LIVENESS_MIN_SQES) panic("selftest liveness: only {} SQEs (want {})", sqes, LIVENESS_MIN_SQES);
}

// Frames the hog can hold at most: its lowered quotas plus the kernel
// heap pages behind its KernelBytes charge.
void run_quota_isolation() CAPOS_REQUIRES(g_kernel_lock) {
  Child hog = spawn_role(g_test, g_image, "hog", nullptr, false);
  ResourceLedger& l = hog.p->ledger();
  l.set_limit(Res::FramePages, l.used(Res::FramePages) + 512);
  l.set_limit(Res::PageTables, l.used(Res::PageTables) + 48);
  l.set_limit(Res::OutstandingCalls, 8);
  uint64_t free0 = frames::free_count();
  uint64_t allowance = 512 + 48;
  start(hog);
  uint64_t end = timer::ticks() + 3000;
  while (!(hog.p->thread_in(0)->state == ThreadState::Blocked && l.used(Res::OutstandingCalls) == 8)) {
    if (hog.watch->exited()) expect_end(g_test, hog, K::Running, 0);  // reports how it ended
    if (timer::ticks() >= end) panic("selftest quota_isolation: the hog never finished exhausting its quota");
    poll_point();
  }
  uint64_t kpages = (l.used(Res::KernelBytes) + abi::PAGE_SIZE - 1) / abi::PAGE_SIZE;
  uint64_t free1 = frames::free_count();
  klog("selftest quota_isolation: hog holds frame-pages {}/{}, page-tables {}/{}, calls {}/{}, kernel-bytes {}; "
       "free frames {} -> {} (quota allows {})\n",
       l.used(Res::FramePages), l.limit(Res::FramePages), l.used(Res::PageTables), l.limit(Res::PageTables),
       l.used(Res::OutstandingCalls), l.limit(Res::OutstandingCalls), l.used(Res::KernelBytes), free0, free1,
       allowance + kpages);
  if (l.used(Res::FramePages) != l.limit(Res::FramePages) || l.limit(Res::PageTables) - l.used(Res::PageTables) >= 3)
    panic("selftest quota_isolation: the hog did not reach its limits");
  // Heap rounding: KernelBytes charges the bytes asked for, the heap grows
  // by whole pages (partly filled slab pages, large-run headers), so allow
  // a few pages beyond the charge. Uncharged kernel memory (page tables,
  // scratch, call records) would exceed this many times over.
  constexpr uint64_t HEAP_ROUNDING_PAGES = 4;
  if (free0 - free1 > allowance + kpages + HEAP_ROUNDING_PAGES)
    panic("selftest quota_isolation: the hog took {} frames, its quota allows {}", free0 - free1, allowance + kpages);
  Child g = role("guarded");
  expect_end(g_test, g, K::Exited, 0);
  kill(hog);
  expect_end(g_test, hog, K::Killed, 0, 100);
}

// Every role, killed after 0..6 ticks (0: before it ever ran).
void run_kill_anytime() CAPOS_REQUIRES(g_kernel_lock) {
  Rng rng{SEED ^ 0xA11};
  static const char* const kinds[] = {"stall", "stall_forever", "nops", "flood", "storm", "leaver", "hog", "watchdog"};
  constexpr int N = sizeof(kinds) / sizeof(kinds[0]);
  Ref<EndpointCore> core = EndpointCore::create(ECHO_IFACE);
  Child srv = role("server", core.get());
  uint64_t sqes0 = ring_stats().sqes;
  constexpr int KILLS = 80;
  for (int k = 0; k < KILLS; ++k) {
    int i = static_cast<int>(rng.below(N));
    Child c = role(kinds[i], core.get());
    wait_ticks(rng.below(7));
    kill(c);
    expect_end(g_test, c, K::Killed, 0, 100);
  }
  wait_ticks(5);  // the server answers orphaned calls
  kill(srv);
  expect_end(g_test, srv, K::Killed, 0, 100);
  klog("selftest kill_anytime: {} hostiles killed at random points (seed {:#x}); {} SQEs\n", KILLS, SEED ^ 0xA11,
       ring_stats().sqes - sqes0);
}

// Clients each make 20 echo calls that leave the server marked to run next
// on the client's CPU, then spin in ring 3 until it answers; this thread
// polls for each client's end meanwhile. A busy CPU never runs another
// CPU's handoff; the poller must count as no work of its CPU's own (run
// the server itself) or at least give up the kernel lock: queued and
// picked again, it kept the lock, the client's CPU could never enter the
// kernel to run the server, and the client spun forever -- the shape of
// the killed flooders that did not end in qemu_smp2.issue22_fairness. On
// two CPUs the client usually starts on the CPU the poller is not on (a
// new thread goes to an idle CPU).
void run_poll_handoff() CAPOS_REQUIRES(g_kernel_lock) {
  constexpr uint32_t CLIENTS = 10;
  Ref<EndpointCore> core = EndpointCore::create(ECHO_IFACE);
  Child srv = role("server", core.get());
  uint64_t t0 = timer::ticks();
  for (uint32_t i = 0; i < CLIENTS; ++i) {
    Child c = role("spin_call", core.get());
    expect_end(g_test, c, K::Exited, 0, 300);
  }
  uint64_t ticks = timer::ticks() - t0;
  kill(srv);
  expect_end(g_test, srv, K::Killed, 0, 100);
  klog("selftest poll_handoff: {} clients x 20 handed-off calls answered while this thread polled ({} ticks)\n",
       CLIENTS, ticks);
}

// Two identical rounds; the second must end with exactly the first's free
// frames and heap allocations.
void thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  void (*scenario)() = nullptr;
  if (strcmp(g_test, "liveness") == 0) scenario = run_liveness;
  if (strcmp(g_test, "quota_isolation") == 0) scenario = run_quota_isolation;
  if (strcmp(g_test, "kill_anytime") == 0) scenario = run_kill_anytime;
  if (strcmp(g_test, "poll_handoff") == 0) scenario = run_poll_handoff;
  if (!scenario) panic("selftest: unknown hostile-class test '{}'", g_test);
  procs::two_rounds(g_test, scenario);
}

}  // namespace liveness

void run_liveness(const char* name, Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest {}: needs the hostile22 program as the boot module", name);
  liveness::g_image = module;
  liveness::g_test = name;
  auto t = Thread::create_kernel("selftest-liveness", liveness::thread, nullptr);
  if (!t) panic("selftest {}: no thread", name);
  sched::make_runnable(*t);
  sched::start();
}

}  // namespace capos::selftest
