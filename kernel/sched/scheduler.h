// Preemptive weighted-fair scheduler on every CPU (docs/scheduling.md,
// docs/smp.md). Each CPU has its own idle thread, running thread and run
// queue (cpu_queues.h; all under the kernel lock). The timer tick asks for a
// reschedule; user threads are preempted on their way back to ring 3
// (exit_to_user); kernel code -- a syscall or a kernel thread -- is never
// preempted, it blocks or yields explicitly. A thread made runnable wakes
// an idle CPU with an IPI. Dead threads are reaped by the next thread to
// run.
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/percpu_field.h"
#include "kernel/proc/thread.h"
#include "kernel/sched/kernel_lock.h"

namespace capos::sched {

Status init();  // creates the boot CPU's idle thread; call once, before start()
// The boot CPU enters the scheduler; APs waiting in start_ap() follow.
[[noreturn]] void start() CAPOS_REQUIRES(g_kernel_lock);
// An AP enters the scheduler once the boot CPU has (creates its idle
// thread; takes the kernel lock itself).
[[noreturn]] void start_ap();
// This CPU's running thread (PerCpu::current, written only by the switch).
inline Thread* current() { return arch::pcpu::read<Thread*, arch::pcpu::CURRENT>(); }
void make_runnable(Thread* t) CAPOS_REQUIRES(g_kernel_lock);
// Direct IPC handoff: runs `t` next, ahead of the queue.
void make_runnable_front(Thread* t) CAPOS_REQUIRES(g_kernel_lock);
// Endpoint direct switch (docs/ipc.md "Direct switch"): `t` is blocked in
// cap_enter and a CALL or RETURN in the running thread's cap_enter drain
// (the only place they run) just satisfied it. `t` stays Blocked and is
// remembered as the thread to switch to when the running thread blocks
// (block_and_switch); cap_enter flushes it to the front of the run queue
// on every other way out (flush_handoff).
// Inline: two per endpoint round trip.
// handoff() of a thread the caller has just seen Blocked (the ipc wake-up
// test): the state is not read again.
inline void handoff_blocked(Thread* t) CAPOS_REQUIRES(g_kernel_lock) {
  Thread* self = current();
  if (!self->process) [[unlikely]] {  // a kernel thread never blocks in cap_enter
    make_runnable_front(t);
    return;
  }
  // One remembered thread; an earlier one in the same drain goes to the
  // queue front (the order two make_runnable_front calls would give).
  if (Thread* older = self->switch_next; older && older != t) [[unlikely]]
    make_runnable_front(older);
  self->switch_next = t;
}
inline void handoff(Thread* t) CAPOS_REQUIRES(g_kernel_lock) {
  if (t->state != ThreadState::Blocked) [[unlikely]] {
    make_runnable_front(t);
    return;
  }
  handoff_blocked(t);
}
// cap_enter returns (or yields) instead of blocking: the running thread
// `self`'s remembered handoff goes to the front of the run queue.
inline void flush_handoff(Thread* self) CAPOS_REQUIRES(g_kernel_lock) {
  if (Thread* t = self->switch_next) [[unlikely]] {
    self->switch_next = nullptr;
    make_runnable_front(t);
  }
}
// Blocks the current thread (in cap_enter) and runs its remembered handoff
// on this CPU directly: no run-queue push and pop. The switch is charged
// as any other (fair-queue vruntime, SchedulingContext budget); a handoff
// made runnable by someone else meanwhile, or whose budget is used up,
// leaves the choice to the scheduler. Without a handoff: block_current().
// Interrupts must be off (cap_enter blocks under its IrqGuard), as for
// the switch itself: the direct switch does not save and restore them.
// `next` is the running thread's remembered handoff (switch_next), which
// the caller has just seen set.
void block_and_switch(Thread* next) CAPOS_REQUIRES(g_kernel_lock);
// Blocks the current thread until make_runnable() (IRQs must be enabled
// around it by the caller's loop).
void block_current() CAPOS_REQUIRES(g_kernel_lock);
// Gives up the CPU to another runnable thread if there is one.
void yield() CAPOS_REQUIRES(g_kernel_lock);
// Ends the current thread; it is freed after the switch.
[[noreturn]] void exit_current() CAPOS_REQUIRES(g_kernel_lock);
// Timer interrupt: requests a reschedule (time slice over); the timer
// work itself is deferred.
void on_tick();
// `t` runs on another CPU: make that CPU pass its deferred-work point now
// (a kill or exit request), not at its next tick.
void kick(Thread* t) CAPOS_REQUIRES(g_kernel_lock);
// CPUs in the scheduler, and how often each was woken by another.
uint32_t cpus_running();
// The deferred-work point on every return to ring 3 (syscall exit and
// interrupt return): runs recorded deferred work, honours a reschedule
// request and a kill request. Returns with interrupts disabled.
void exit_to_user() CAPOS_REQUIRES(g_kernel_lock);
// Whether exit_to_user has anything to do after an interrupt from ring 3;
// called without the kernel lock, interrupts off (arch/x86_64/idt.cpp).
bool exit_to_user_needed();
// Makes the running thread take exit_to_user's slow path once (it asked
// to end: ThreadControl.exitThread).
void request_exit_check();
// True when the running thread's time slice is over (the tick asked) or
// another CPU asked this one to look at the run queue.
inline bool resched_requested() { return arch::pcpu::byte_set<arch::pcpu::NEED_RESCHED>(); }
// Threads blocked in cap_enter with a deadline are re-checked on every tick
// (expire_waiters); a completion wakes its waiter itself (ipc env::wake), so
// a wait without a deadline is not registered.
void register_waiter(Thread* t) CAPOS_REQUIRES(g_kernel_lock);
// (cap_enter_satisfied, the wake-up test: kernel/sched/cap_enter_wait.h.)
void unregister_waiter(Thread* t) CAPOS_REQUIRES(g_kernel_lock);
// Bookkeeping every thread runs right after it is switched to.
void finish_switch() CAPOS_REQUIRES(g_kernel_lock);
// Deferred timer work: wakes every cap_enter waiter whose deadline passed
// (or that is satisfied).
void expire_waiters() CAPOS_REQUIRES(g_kernel_lock);
// Logs every CPU's running thread and run queue, and `t` (may be null):
// what a self test prints before it panics on a timeout.
void log_state(const Thread* t) CAPOS_REQUIRES(g_kernel_lock);
// The earliest cap_enter deadline of a blocked waiter (monotonic ns; ~0 =
// none).
uint64_t next_waiter_deadline() CAPOS_REQUIRES(g_kernel_lock);
// Tickless boot CPU (docs/smp.md): `next_ns` says when timer work is next
// due (~0 = never); the idle boot CPU arms a one-shot timer for it instead
// of ticking. Without a source the boot CPU keeps ticking while idle.
void set_timer_work_source(uint64_t (*next_ns)());
// The boot CPU is idle with its periodic tick off: the other CPUs' ticks
// run the timer work (lock-free read for the tick handler).
bool boot_cpu_tickless();

}  // namespace capos::sched
