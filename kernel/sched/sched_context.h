// The scheduler's side of SchedulingContext budgets (issue 15,
// docs/scheduling.md): narrow hooks the run queue calls where it charges
// CPU time and where it picks a thread. A thread whose context (or an
// ancestor) has used its budget for the period is held back on a
// throttled list -- still Runnable, so wakeups ignore it -- and is queued
// again by the timer work once the period renews (or its process is being
// killed, so a kill is not delayed by a throttle).
#pragma once

#include <stdint.h>

#include "kernel/proc/thread.h"
#include "kernel/sched/kernel_lock.h"

namespace capos::sched::budget_hooks {

[[gnu::noinline, gnu::cold]] void charge_bound(Thread* t, uint64_t cycles, uint64_t now);

// `cycles` of CPU used by `t` up to `now` (TSC): charged to its context.
// The bound case is out of line and cold, so the switch path of an
// unbound thread pays one test (perf.budgets endpoint_rtt).
inline void charge(Thread* t, uint64_t cycles, uint64_t now) {
  if (__builtin_expect(t->budget != nullptr, 0)) charge_bound(t, cycles, now);
}

[[gnu::noinline, gnu::cold]] bool hold_back_bound(Thread* t, uint64_t now) CAPOS_REQUIRES(g_kernel_lock);

// Called with a thread the scheduler is about to run (popped from the run
// queue, or the running thread at a yield). True: its budget is used up;
// it was put on the throttled list and must not run now. Inline, so a
// thread with no context costs the switch path one test.
inline bool hold_back(Thread* t, uint64_t now) CAPOS_REQUIRES(g_kernel_lock) {
  return __builtin_expect(t->budget != nullptr, 0) && hold_back_bound(t, now);
}

// Timer work: queues every held-back thread whose period renewed.
void release_due(uint64_t now) CAPOS_REQUIRES(g_kernel_lock);

// Threads held back right now (diagnostics, tests).
uint32_t throttled_count() CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::sched::budget_hooks
