// SMP stress (issue 15): the smpstress program (user/tests/smpstress.cpp)
// runs threads on every CPU doing endpoint IPC, PARK/UNPARK and map/unmap
// of a shared MemoryObject for a bounded time, while this kernel thread
// spawns and kills victim processes that call the same echo server (killed
// mid-call, their calls must vanish without losing anyone else's). The
// stress process counts every call it made and exits non-zero on a lost
// completion; the scenario runs twice and the second round must end with
// exactly the first round's free frames and heap allocations. Meant for
// `-smp 2 -accel tcg,thread=multi` (qemu.smp_stress_2) and -smp 1.
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/timer.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/objects/console_cap.h"
#include "kernel/objects/frame_alloc_cap.h"
#include "kernel/objects/thread_caps.h"
#include "kernel/objects/timer_cap.h"
#include "kernel/objects/vm_cap.h"
#include "kernel/sched/scheduler.h"
#include "kernel/selftest_internal.h"
#include "kernel/selftest_procs.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/process.capnp.capos.h"

namespace capos::selftest {

namespace smp_stress {

using namespace procs;
using K = ExitStatus::Kind;
namespace wire = schema::wire;

constexpr const char* TEST = "smp_stress";
constexpr uint64_t ECHO_IFACE = 0x5350535452ull;  // smpstress.cpp ECHO_IFACE
Bytes g_image;
uint64_t g_seed = 0x15c0ffee;

// A process of smpstress in `role` ("endpoint": owner facet; "victim",
// "stress": client facets), with what each role looks up.
Child spawn(const char* role, EndpointCore* ep) CAPOS_REQUIRES(g_kernel_lock) {
  Child c = create(TEST, g_image, role);
  uint32_t pid = c.p->pid();
  Ref<EndpointCore> core = Ref<EndpointCore>::share(ep);
  grant(TEST, c, "console", ConsoleCap::create(), wire::Console::kInterfaceId);
  if (role[0] == 'e') grant(TEST, c, role, EndpointOwner::create(core), ECHO_IFACE);
  else grant(TEST, c, role, ClientEndpoint::create(core), ECHO_IFACE);
  grant(TEST, c, "vm", VmCap::create(pid), wire::VirtualMemory::kInterfaceId);
  grant(TEST, c, "threads", ThreadSpawnerCap::create(pid), wire::ThreadSpawner::kInterfaceId);
  grant(TEST, c, "thread", ThreadControlCap::create(pid), wire::ThreadControl::kInterfaceId);
  if (role[0] == 's') {
    grant(TEST, c, "timer", TimerCap::create(), wire::Timer::kInterfaceId);
    grant(TEST, c, "frames", FrameAllocCap::create(), wire::FrameAllocator::kInterfaceId);
  }
  start(c);
  return c;
}

void scenario() CAPOS_REQUIRES(g_kernel_lock) {
  Rng rng{g_seed};
  klog("selftest smp_stress: seed {:#x}, {} CPU(s)\n", g_seed, arch::cpu_count());
  Ref<EndpointCore> core = EndpointCore::create(ECHO_IFACE);
  if (!core) panic("selftest smp_stress: no endpoint");
  Child server = spawn("endpoint", core.get());
  Child stress = spawn("stress", core.get());
  // Spawn/kill until the stress process is done: each victim lives 0..5
  // ticks (some die before running, some mid-call, some while queued).
  uint32_t victims = 0;
  uint64_t deadline = timer::ticks() + 120 * 100;
  while (!stress.watch->exited()) {
    if (timer::ticks() >= deadline) panic("selftest smp_stress: the stress process did not end within 120 s");
    Child v = spawn("victim", core.get());
    wait_ticks(rng.below(6));
    kill(v);
    expect_end(TEST, v, K::Killed, 0, 500);
    ++victims;
  }
  expect_end(TEST, stress, K::Exited, 0);
  kill(server);
  expect_end(TEST, server, K::Killed, 0, 500);
  klog("selftest smp_stress: {} victims spawned and killed during the stress\n", victims);
  if (victims < 5) panic("selftest smp_stress: only {} victims: spawn/kill did not run beside the stress", victims);
  g_seed = rng.next();
}

void thread(void*) CAPOS_REQUIRES(g_kernel_lock) { two_rounds(TEST, scenario); }

}  // namespace smp_stress

void run_smp_stress(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest smp_stress: needs the smpstress program as the boot module");
  smp_stress::g_image = module;
  auto t = Thread::create_kernel("selftest-smp-stress", smp_stress::thread, nullptr);
  if (!t) panic("selftest smp_stress: no thread");
  sched::make_runnable(*t);
  sched::start();
}

}  // namespace capos::selftest
