// The wake-up test for a thread blocked in cap_enter, inline: every
// endpoint completion asks it (ipc env::wake, twice per round trip;
// perf.budgets endpoint_rtt), so it lives where both Thread and Process are
// complete rather than in scheduler.h.
#pragma once

#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/sched/kernel_lock.h"

namespace capos::sched {

// True when `t` is blocked in cap_enter (only user threads enter it: it
// has a process), waiting for CQEs in its ring.
inline bool waits_in_cap_enter(const Thread* t) CAPOS_REQUIRES(g_kernel_lock) {
  return t->state == ThreadState::Blocked && t->in_cap_enter;
}

// True when `t` is blocked in cap_enter and its ring holds enough CQEs.
inline bool cap_enter_satisfied(const Thread* t) CAPOS_REQUIRES(g_kernel_lock) {
  return waits_in_cap_enter(t) && t->process && t->process->ring(t->slot).cq_ready() >= t->wait_min;
}

}  // namespace capos::sched
