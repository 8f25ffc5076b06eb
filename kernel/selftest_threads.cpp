// Issue 14: threads from ring 3 with the threads program (user/tests/
// threads.cpp) in its roles. Each round: the functional checks, the
// Threads quota, a process killed with threads blocked in PARK, endpoint
// CALL and RECV, and one whose main returns while threads are parked. Two rounds: the second must end with exactly the
// first's free frames and heap allocations.
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/tlb.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/dev/timer.h"
#include "kernel/objects/console_cap.h"
#include "kernel/objects/thread_caps.h"
#include "kernel/objects/timer_cap.h"
#include "kernel/objects/vm_cap.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/sched/scheduler.h"
#include "kernel/selftest_internal.h"
#include "kernel/selftest_procs.h"

namespace capos::selftest {

namespace threads {

using namespace procs;
using K = ExitStatus::Kind;
namespace wire = schema::wire;

Bytes g_image;
constexpr const char* TEST = "threads";
constexpr uint64_t VICTIM_IFACE = 0x5448524541ull;

// The program with console, the thread caps, its own VirtualMemory, and
// the timer under the role's name. `limits`: ledger quotas (null: defaults).
Child program(const char* role, const ResourceLedger::Limits* limits = nullptr) CAPOS_REQUIRES(g_kernel_lock) {
  auto p = Process::create(role, g_image, limits);
  if (!p) panic("selftest threads: cannot create {}: {} ({})", role, err_name(p.error().code), p.error().detail);
  Child c;
  c.p = *p;
  c.watch = (*p)->share_watch();
  c.role = role;
  uint32_t pid = c.p->pid();
  grant(TEST, c, "console", ConsoleCap::create(), wire::Console::kInterfaceId);
  grant(TEST, c, role, TimerCap::create(), wire::Timer::kInterfaceId);
  grant(TEST, c, "vm", VmCap::create(pid), wire::VirtualMemory::kInterfaceId);
  grant(TEST, c, "threads", ThreadSpawnerCap::create(pid), wire::ThreadSpawner::kInterfaceId);
  grant(TEST, c, "thread", ThreadControlCap::create(pid), wire::ThreadControl::kInterfaceId);
  return c;
}

bool all_blocked(Process* p, uint32_t n) CAPOS_REQUIRES(g_kernel_lock) {
  if (p->thread_count() != n) return false;
  for (uint32_t s = 0; s < abi::MAX_THREADS; ++s)
    if (Thread* t = p->thread_in(s); t && t->state != ThreadState::Blocked) return false;
  return true;
}

void scenario() CAPOS_REQUIRES(g_kernel_lock) {
  Child f = program("functional");
  start(f);
  expect_end(TEST, f, K::Exited, 0, 120 * 100);

  ResourceLedger::Limits limits = ResourceLedger::default_limits();
  limits.max[static_cast<int>(Res::Threads)] = 3;
  Child q = program("quota", &limits);
  start(q);
  expect_end(TEST, q, K::Exited, 0, 30 * 100);

  // Two endpoints nobody else uses: the victim CALLs one (its owner stays
  // here, never RECVing) and RECVs on the other (no one calls it).
  Ref<EndpointCore> called = EndpointCore::create(VICTIM_IFACE);
  Ref<EndpointOwner> called_owner = EndpointOwner::create(called);
  Ref<EndpointCore> served = EndpointCore::create(VICTIM_IFACE);
  Child v = program("victim");
  grant(TEST, v, "client", Ref<KObject>(ClientEndpoint::create(called)), VICTIM_IFACE);
  grant(TEST, v, "server", Ref<KObject>(EndpointOwner::create(served)), wire::Endpoint::kInterfaceId);
  start(v);
  uint64_t spins = 0;
  while (!all_blocked(v.p, 5)) {
    if (v.watch->exited()) panic("selftest threads: the victim ended early");
    if (++spins > 2000000) panic("selftest threads: the victim's threads never all blocked");
    poll_point();
  }
  uint32_t parked = v.p->parks().waiters();
  if (parked != 3) panic("selftest threads: {} parked waiters, expected 3", parked);
  klog("selftest threads: victim has 5 threads blocked (3 in PARK, 1 in CALL, 1 in RECV), killing it\n");
  kill(v);
  expect_end(TEST, v, K::Killed, 0, 100);
  if (!called->queued.empty() || !served->recvs.empty())
    panic("selftest threads: the killed victim left a queued call or a RECV behind");
  klog("selftest threads: killed with blocked threads: nothing left queued\n");

  Child e = program("exiter");
  start(e);
  expect_end(TEST, e, K::Exited, 7, 30 * 100);
}

// Weighted fair queueing (kernel/sched/fair_queue.h): a weight-1 and a
// weight-4 CPU hog side by side for 200 ticks; the second must get about
// four times the CPU of the first.
// One weight-1 hog and one weight-4 worker per CPU (on N CPUs, one hog
// and one worker alone would simply get a CPU each): the workers together
// should get four times the hogs' CPU time.
void weights() CAPOS_REQUIRES(g_kernel_lock) {
  constexpr uint32_t MAX = 8;
  uint32_t n = arch::cpu_count();  // every started CPU enters the scheduler
  if (n > MAX) n = MAX;
  Child hogs[MAX], workers[MAX];
  for (uint32_t i = 0; i < n; ++i) {
    hogs[i] = program("spin");
    workers[i] = program("spin");
    hogs[i].p->set_weight(1);
    workers[i].p->set_weight(4);
  }
  for (uint32_t i = 0; i < n; ++i) {
    start(hogs[i]);
    start(workers[i]);
  }
  wait_ticks(200);
  uint64_t h = 0, w = 0;
  for (uint32_t i = 0; i < n; ++i) {
    h += hogs[i].p->thread_in(0)->cpu_cycles;
    w += workers[i].p->thread_in(0)->cpu_cycles;
  }
  for (uint32_t i = 0; i < n; ++i) {
    kill(hogs[i]);
    kill(workers[i]);
  }
  for (uint32_t i = 0; i < n; ++i) {
    expect_end(TEST, hogs[i], K::Killed, 0, 100);
    expect_end(TEST, workers[i], K::Killed, 0, 100);
  }
  uint64_t permille = h ? w * 1000 / h : 0;
  klog("selftest threads: weights 1 and 4 side by side on {} CPU(s): CPU {} : {} (ratio {}.{:03})\n", n, h, w,
       permille / 1000, permille % 1000);
  if (permille < 3400 || permille > 4600) panic("selftest threads: weight-4 got {}/1000 of the weight-1 CPU, want 4000 +- 15%", permille);
}

void thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  weights();
  two_rounds(TEST, scenario);
}

}  // namespace threads

namespace threads {

// TLB shootdown (issue 15): the "shootdown" role's reader thread must
// fault on the page its main thread unmapped, and on several CPUs the unmap
// must have sent a shootdown request.
void shootdown_thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t before = arch::tlb::requests();
  Child s = program("shootdown");
  start(s);
  expect_end("tlb_shootdown", s, K::Faulted, 0, 60 * 100);
  const ExitStatus& st = s.watch->status();
  uint64_t sent = arch::tlb::requests() - before;
  klog("selftest tlb_shootdown: the reader faulted (vector {}) at {:#x} after the unmap; {} shootdown request(s) on {} CPU(s)\n",
       st.vector, st.fault_addr, sent, arch::cpu_count());
  if (st.vector != 14) panic("selftest tlb_shootdown: ended with vector {}, not a page fault", st.vector);
  if (arch::cpu_count() > 1 && sent == 0) panic("selftest tlb_shootdown: no shootdown request was sent");
  klog("capOS: selftest tlb_shootdown ok\n");
  debug_exit::exit(debug_exit::SUCCESS);
}

// Tickless idle (issue 15): an idle AP takes no timer ticks; the same AP
// ticks again as soon as it runs a thread (the control half). This thread
// polls on the CPU it started on; that CPU and the boot CPU tick anyway.
void tickless_thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  constexpr uint32_t MAX = 8, WINDOW = 50;
  uint32_t n = arch::cpu_count();
  if (n < 2) panic("selftest tickless: needs at least 2 CPUs");
  if (n > MAX) n = MAX;
  auto ticks_of = [](uint32_t i) { return __atomic_load_n(&arch::cpu(i).ticks, __ATOMIC_RELAXED); };
  uint32_t before[MAX], idle[MAX], busy[MAX];
  wait_ticks(10);  // the APs reach their idle loops
  uint32_t mine = sched::current()->cpu;
  for (uint32_t i = 0; i < n; ++i) before[i] = ticks_of(i);
  wait_ticks(WINDOW);
  for (uint32_t i = 0; i < n; ++i) idle[i] = ticks_of(i) - before[i];
  Child hogs[MAX];
  for (uint32_t i = 0; i < n; ++i) {
    hogs[i] = program("spin");
    start(hogs[i]);
  }
  wait_ticks(10);  // every CPU has a hog
  for (uint32_t i = 0; i < n; ++i) before[i] = ticks_of(i);
  wait_ticks(WINDOW);
  for (uint32_t i = 0; i < n; ++i) busy[i] = ticks_of(i) - before[i];
  for (uint32_t i = 0; i < n; ++i) kill(hogs[i]);
  for (uint32_t i = 0; i < n; ++i) expect_end("tickless", hogs[i], K::Killed, 0, 100);
  for (uint32_t i = 1; i < n; ++i) {
    if (i == mine) continue;
    klog("selftest tickless: cpu {}: {} ticks idle, {} ticks busy, over {} boot-CPU ticks each\n", i, idle[i],
         busy[i], WINDOW);
    // A tick already on its way when the timer stopped may still land.
    if (idle[i] > 2) panic("selftest tickless: idle cpu {} took {} ticks", i, idle[i]);
    if (busy[i] < WINDOW / 2) panic("selftest tickless: busy cpu {} took only {} ticks", i, busy[i]);
  }
  // The boot CPU: this thread blocks while a process sleeps 2 x (100 ms
  // Timer sleep + 100 ms PARK timeout + 100 ms cap_enter deadline), so
  // every CPU idles. Ticking, the boot CPU would take ~60 ticks; idle it
  // arms a one-shot per deadline. A deadline it failed to arm would never
  // end (the test then times out).
  uint64_t boot_before = ticks_of(0), t0 = timer::now_ns();
  Child s = program("sleeper");
  start(s);
  s.watch->wait();
  uint64_t boot_ticks = ticks_of(0) - boot_before, ms = (timer::now_ns() - t0) / 1000000;
  expect_end("tickless", s, K::Exited, 0, 100);
  klog("selftest tickless: boot cpu: {} ticks over {} ms of sleeps\n", boot_ticks, ms);
  if (ms < 600) panic("selftest tickless: six 100 ms waits ended after {} ms", ms);
  if (boot_ticks > 30) panic("selftest tickless: the idle boot cpu took {} ticks in {} ms", boot_ticks, ms);
  klog("capOS: selftest tickless ok\n");
  debug_exit::exit(debug_exit::SUCCESS);
}

}  // namespace threads

void run_tickless(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest tickless: needs the threads program as the boot module");
  threads::g_image = module;
  auto t = Thread::create_kernel("selftest-tickless", threads::tickless_thread, nullptr);
  if (!t) panic("selftest tickless: no thread");
  sched::make_runnable(*t);
  sched::start();
}

void run_tlb_shootdown(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest tlb_shootdown: needs the threads program as the boot module");
  threads::g_image = module;
  auto t = Thread::create_kernel("selftest-shootdown", threads::shootdown_thread, nullptr);
  if (!t) panic("selftest tlb_shootdown: no thread");
  sched::make_runnable(*t);
  sched::start();
}

void run_threads(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest threads: needs the threads program as the boot module");
  threads::g_image = module;
  auto t = Thread::create_kernel("selftest-threads", threads::thread, nullptr);
  if (!t) panic("selftest threads: no thread");
  sched::make_runnable(*t);
  sched::start();
}

}  // namespace capos::selftest
