#include "kernel/sched/scheduler.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/debug/measure.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/timer.h"
#include "kernel/proc/process.h"
#include "kernel/sched/deferred.h"
#include "kernel/sched/fair_queue.h"
#include "kernel/sched/kernel_lock.h"

namespace capos::sched {

namespace detail {
bool g_need_resched = false;  // the running thread's time slice is over
Thread* g_current = nullptr;
}  // namespace detail
using detail::g_current;
using detail::g_need_resched;

namespace {

using RunQueue = FairQueue<Thread>;
using DeadList = IntrusiveList<Thread, &Thread::sched_node>;
using WaitList = IntrusiveList<Thread, &Thread::wait_node>;

RunQueue g_runq CAPOS_GUARDED_BY(g_kernel_lock);
DeadList g_dead CAPOS_GUARDED_BY(g_kernel_lock);
uint64_t g_switch_tsc CAPOS_GUARDED_BY(g_kernel_lock) = 0;  // when the running thread was last charged
WaitList g_waiters CAPOS_GUARDED_BY(g_kernel_lock);
Thread* g_idle = nullptr;  // set once at init

// Runs deferred work whenever nothing else does; `sti; hlt` is atomic (the
// one-instruction interrupt shadow of sti), so a wakeup between the check
// and the halt cannot be lost.
// The kernel lock is dropped for the halt so that on SMP other CPUs are
// not held up by an idle one.
void idle_loop(void*) {
  g_kernel_lock.assert_held();  // handed over by the switch that started us
  for (;;) {
    arch::cli();
    deferred::run();
    if (!g_runq.empty()) {
      yield();
      continue;
    }
    g_kernel_lock.release();
    asm volatile("sti; hlt" ::: "memory");
    arch::cli();
    g_kernel_lock.acquire();
  }
}

void reap() CAPOS_REQUIRES(g_kernel_lock) {
  while (Thread* t = g_dead.front()) {
    if (t == g_current) break;  // cannot free the stack we run on
    CAPOS_MEASURE_SCOPE(Teardown);
    g_dead.remove(t);
    Process* p = t->last_of_process ? t->process : nullptr;
    Thread::destroy(t);
    if (p) process_thread_reaped(p);  // its other threads were reaped before (FIFO)
  }
}

void switch_to(Thread* next) CAPOS_REQUIRES(g_kernel_lock) {
  Thread* prev = g_current;
  if (prev == next) return;
  if (prev->process && prev->state != ThreadState::Dead) arch::fpu_save(prev->fpu);
  g_current = next;
  next->state = ThreadState::Running;
  auto& cpu = arch::this_cpu();
  cpu.current = next;
  cpu.kernel_rsp = next->kstack.top;
  arch::set_kernel_stack(next->kstack.top);
  if (next->process) {
    uint64_t root = next->process->address_space().root();
    if (arch::read_cr3() != root) arch::write_cr3(root);
    arch::fpu_restore(next->fpu);
    if (cpu.fs_base != next->fs_base) {  // threads of one program usually differ; processes often not
      arch::wrmsr(arch::MSR_FS_BASE, next->fs_base);
      cpu.fs_base = next->fs_base;
    }
  }
  switch_context(&prev->saved_rsp, next->saved_rsp);
  // Running as `prev` again.
  reap();
}

// Charges the running thread for the cycles since it was last charged.
void account() CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t now = arch::rdtsc();
  uint64_t used = now - g_switch_tsc;
  g_switch_tsc = now;
  g_current->cpu_cycles += used;
  RunQueue::charge(g_current, used);  // idle too: harmless, it is never queued
}

// Picks the next thread (least weighted CPU so far) and switches; IRQs
// must be disabled.
void schedule() CAPOS_REQUIRES(g_kernel_lock) {
  g_need_resched = false;
  account();
  Thread* next = g_runq.pop();
  if (!next) next = g_idle;
  if (next != g_idle) g_runq.advance_floor(next);
  switch_to(next);
}

}  // namespace

Status init() {
  g_idle = CAPOS_TRY(Thread::create_kernel("idle", idle_loop, nullptr));
  return {};
}

void start() {
  arch::cli();
  // The boot context becomes a throwaway thread that is never resumed.
  static Thread boot;
  boot.name = "boot";
  boot.state = ThreadState::Dead;
  g_current = &boot;
  g_switch_tsc = arch::rdtsc();
  Thread* next = g_runq.pop();
  switch_to(next ? next : g_idle);
  panic("sched: boot context resumed");
}


void make_runnable(Thread* t) {
  arch::IrqGuard irq;
  if (t->state == ThreadState::Runnable || t->state == ThreadState::Running || t->state == ThreadState::Dead)
    return;
  t->state = ThreadState::Runnable;
  g_runq.insert(t);
}

void make_runnable_front(Thread* t) {
  arch::IrqGuard irq;
  if (t->state != ThreadState::Blocked) return;
  t->state = ThreadState::Runnable;
  g_runq.push_front(t);  // direct handoff: next, whatever its vruntime
}

void block_current() {
  arch::IrqGuard irq;
  g_current->state = ThreadState::Blocked;
  schedule();
}

void yield() {
  CAPOS_MEASURE_SCOPE(Switch);
  arch::IrqGuard irq;
  g_need_resched = false;
  if (g_runq.empty()) return;
  if (g_current != g_idle) {
    account();  // its place in the queue reflects the slice it just used
    g_current->state = ThreadState::Runnable;
    g_runq.insert(g_current);
  }
  schedule();
}

void exit_current() {
  arch::cli();
  g_current->state = ThreadState::Dead;
  if (g_current->wait_node.linked()) g_waiters.remove(g_current);
  g_dead.push_back(g_current);
  schedule();
  panic("sched: dead thread resumed");
}

void register_waiter(Thread* t) {
  arch::IrqGuard irq;
  if (!t->wait_node.linked()) g_waiters.push_back(t);
}

void unregister_waiter(Thread* t) {
  arch::IrqGuard irq;
  if (t->wait_node.linked()) g_waiters.remove(t);
}

bool cap_enter_satisfied(const Thread* t) {
  return t->state == ThreadState::Blocked && t->process && t->in_cap_enter &&
         t->process->ring(t->slot).cq_ready() >= t->wait_min;
}

void expire_waiters() {
  arch::IrqGuard irq;
  uint64_t now = timer::now_ns();
  for (Thread* t = g_waiters.front(); t;) {
    Thread* next = g_waiters.next(t);
    if (t->state == ThreadState::Blocked && (now >= t->wait_deadline || cap_enter_satisfied(t))) {
      make_runnable(t);
    }
    t = next;
  }
}

// Only records: user threads are preempted at exit_to_user; kernel code
// (kernel threads included) is never preempted, it blocks or yields, so
// kernel data is never seen half-updated by another thread.
void on_tick() { g_need_resched = true; }

void exit_to_user() {
  arch::cli();
  // The common case (nothing recorded, no reschedule, no kill) is three
  // loads and falls straight through: this runs on every syscall.
  for (Thread* t = g_current; deferred::pending() || g_need_resched || t->process->kill_requested();
       t = g_current) {
    deferred::run();
    if (g_need_resched) yield();  // clears the request, even when nothing else is runnable
    if (g_current->process->kill_requested() || g_current->exit_requested) process_check_killed();  // no return
  }
}

void finish_switch() { reap(); }

void request_exit_check() { g_need_resched = true; }

}  // namespace capos::sched

// First run of a thread, right after the switch that handed it the kernel
// lock (with interrupts disabled): a user thread is about to enter ring 3
// for the first time and gives the lock up; a kernel thread keeps it and
// runs with interrupts enabled, so the tick can preempt it and device
// interrupts are not held back while it computes or polls.
extern "C" void thread_first_run() CAPOS_NO_THREAD_SAFETY_ANALYSIS {
  using namespace capos;
  g_kernel_lock.assert_held();
  sched::finish_switch();
  if (sched::current()->process) {
    // Killed before it ever ran: leave without entering ring 3.
    if (sched::current()->process->kill_requested()) process_check_killed();
    g_kernel_lock.release();
    CAPOS_MEASURE_SEG(User);
    return;
  }
  arch::sti();
}
