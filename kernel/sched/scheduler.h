// Round-robin preemptive scheduler (single CPU). The timer tick asks for a
// reschedule; user threads are preempted on their way back to ring 3
// (exit_to_user); kernel code -- a syscall or a kernel thread -- is never
// preempted, it blocks or yields explicitly. Dead
// threads are reaped by the next thread to run.
#pragma once

#include <stdint.h>

#include "kernel/proc/thread.h"
#include "kernel/sched/kernel_lock.h"

namespace capos::sched {

Status init();  // creates the idle thread; call once, before start()
[[noreturn]] void start() CAPOS_REQUIRES(g_kernel_lock);
namespace detail {
extern Thread* g_current;  // this CPU's running thread; written only by switch_to
}
inline Thread* current() { return detail::g_current; }
void make_runnable(Thread* t) CAPOS_REQUIRES(g_kernel_lock);
// Direct IPC handoff: runs `t` next, ahead of the queue.
void make_runnable_front(Thread* t) CAPOS_REQUIRES(g_kernel_lock);
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
// The deferred-work point on every return to ring 3 (syscall exit and
// interrupt return): runs recorded deferred work, honours a reschedule
// request and a kill request. Returns with interrupts disabled.
void exit_to_user() CAPOS_REQUIRES(g_kernel_lock);
// Makes the running thread take exit_to_user's slow path once (it asked
// to end: ThreadControl.exitThread).
void request_exit_check();
// True when the running thread's time slice is over (the tick asked).
namespace detail {
extern bool g_need_resched;
}
inline bool resched_requested() { return detail::g_need_resched; }
// Threads blocked in cap_enter are re-checked on every tick and on wake.
void register_waiter(Thread* t) CAPOS_REQUIRES(g_kernel_lock);
// True when `t` is blocked in cap_enter and its ring holds enough CQEs.
bool cap_enter_satisfied(const Thread* t) CAPOS_REQUIRES(g_kernel_lock);
void unregister_waiter(Thread* t) CAPOS_REQUIRES(g_kernel_lock);
// Bookkeeping every thread runs right after it is switched to.
void finish_switch() CAPOS_REQUIRES(g_kernel_lock);
// Deferred timer work: wakes every cap_enter waiter whose deadline passed
// (or that is satisfied).
void expire_waiters() CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::sched
