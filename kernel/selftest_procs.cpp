#include "kernel/selftest_procs.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/objects/console_cap.h"
#include "kernel/objects/frame_alloc_cap.h"
#include "kernel/objects/system_caps.h"
#include "kernel/objects/timer_cap.h"
#include "kernel/objects/vm_cap.h"
#include "kernel/ipc/endpoint.h"
#include "lib/core/cstring.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/selftest_internal.h"
#include "kernel/dev/timer.h"
#include "kernel/sched/deferred.h"
#include "kernel/sched/scheduler.h"

namespace capos::selftest::procs {

Child create(const char* test, Bytes image, const char* name) CAPOS_REQUIRES(g_kernel_lock) {
  auto p = Process::create(name, image);
  if (!p) panic("selftest {}: cannot create {}: {} ({})", test, name, err_name(p.error().code), p.error().detail);
  Child c;
  c.p = *p;
  c.watch = (*p)->share_watch();
  c.role = name;
  return c;
}

void grant(const char* test, Child& c, const char* name, Ref<KObject> o, uint64_t iface) CAPOS_REQUIRES(g_kernel_lock) {
  if (!o || !c.p->grant(name, move(o), iface)) panic("selftest {}: grant {} to {} failed", test, name, c.role);
}

void start(Child& c) CAPOS_REQUIRES(g_kernel_lock) { c.p->start(); }

void kill(Child& c) CAPOS_REQUIRES(g_kernel_lock) {
  // Interrupts off: the process cannot exit and be reaped between the
  // check and the request (ExitWatch::kill relies on the same order).
  arch::IrqGuard irq;
  if (!c.watch->exited()) c.p->request_kill();
}

void poll_point() CAPOS_REQUIRES(g_kernel_lock) {
  // The deferred work (timer expiry: sleeps, cap_enter deadlines) runs at
  // returns to ring 3 and in the idle loop. A self test that polls stays
  // runnable, so idle never runs while every process is blocked: the
  // polling thread must run the deferred work itself, as idle would.
  // Kernel threads start with interrupts disabled (the switch happens
  // under cli) and yield() keeps that state: enable them, or no tick would
  // ever arrive while this thread is the only runnable one.
  arch::cli();
  deferred::run();
  arch::sti();
  sched::yield();  // on SMP also lets a CPU waiting for the kernel lock in
}

void wait_ticks(uint64_t ticks) CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t end = timer::ticks() + ticks;
  while (timer::ticks() < end) poll_point();
}

void expect_end(const char* test, Child& c, ExitStatus::Kind kind, int64_t code, uint64_t ticks)
    CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t end = timer::ticks() + ticks;
  while (!c.watch->exited()) {
    if (timer::ticks() >= end) {
      sched::log_state(c.p->thread_in(0));  // which CPU held what when the wait ran out
      panic("selftest {}: {} did not end within {} ticks", test, c.role, ticks);
    }
    poll_point();
  }
  const ExitStatus& st = c.watch->status();
  if (st.kind != kind || (kind == ExitStatus::Kind::Exited && st.code != code))
    panic("selftest {}: {} ended with kind {} code {} (expected kind {} code {})", test, c.role,
          static_cast<int>(st.kind), st.code, static_cast<int>(kind), code);
}

Child spawn_role(const char* test, Bytes image, const char* role, EndpointCore* ep, bool start_now)
    CAPOS_REQUIRES(g_kernel_lock) {
  namespace wire = schema::wire;
  Child c = create(test, image, role);
  auto is = [&](const char* r) { return strcmp(role, r) == 0; };
  Ref<EndpointCore> core = Ref<EndpointCore>::share(ep);
  grant(test, c, "console", ConsoleCap::create(), wire::Console::kInterfaceId);
  if (is("watchdog") || is("stall") || is("stall_forever") || is("nops") || is("leaver"))
    grant(test, c, role, TimerCap::create(), wire::Timer::kInterfaceId);
  if (is("storm") || is("addr_change") || is("pt_storm") || is("hog"))
    grant(test, c, role, VmCap::create(c.p->pid()), wire::VirtualMemory::kInterfaceId);
  if (is("flood") || is("fair") || is("spin_call"))
    grant(test, c, role, ClientEndpoint::create(core), ECHO_IFACE);
  if (is("keeper")) grant(test, c, role, EndpointOwner::create(core), ECHO_IFACE);
  if (is("giver")) grant(test, c, role, FrameAllocCap::create(), wire::FrameAllocator::kInterfaceId);
  if ((is("leaver") || is("giver")) && ep) grant(test, c, "ep", ClientEndpoint::create(core), ECHO_IFACE);
  if (is("server")) grant(test, c, "endpoint", EndpointOwner::create(core), ECHO_IFACE);
  if (is("addr_change") || is("hog"))
    grant(test, c, "frames", FrameAllocCap::create(), wire::FrameAllocator::kInterfaceId);
  if (is("guarded")) grant(test, c, role, FrameAllocCap::create(), wire::FrameAllocator::kInterfaceId);
  if (is("pt_storm") || is("guarded"))
    grant(test, c, "status", SystemStatusCap::create(), wire::SystemStatus::kInterfaceId);
  if (is("hog")) grant(test, c, "timer", TimerCap::create(), wire::Timer::kInterfaceId);
  if (start_now) start(c);
  return c;
}

void two_rounds(const char* test, void (*scenario)()) {
  scenario();
  settle_processes();
  uint64_t frames_before = frames::free_count();
  size_t heap_before = heap::stats().allocations;
  klog("selftest {}: second round\n", test);
  scenario();
  settle_processes();
  uint64_t frames_after = frames::free_count();
  size_t heap_after = heap::stats().allocations;
  klog("selftest {}: free frames {} -> {}; heap allocations {} -> {}\n", test, frames_before, frames_after,
       heap_before, heap_after);
  if (frames_after != frames_before || heap_after != heap_before) panic("selftest {}: leak detected", test);
  klog("capOS: selftest {} ok\n", test);
  debug_exit::exit(debug_exit::SUCCESS);
}

}  // namespace capos::selftest::procs
