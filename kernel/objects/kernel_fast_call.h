// The kernel-cap fast path (docs/abi.md "Kernel-cap fast path"): cap_enter
// tries it before the generic drain when the ring's next and only SQE is a
// CALL. It takes one shape -- a lone CALL without params, flags or caps on
// a kernel cap whose method only reads state and answers data words
// (KernelCap::fast_reply says which) -- and writes the reply the generic
// dispatch would frame straight into the caller's result page through the
// walk-cache translation, the CQE in its slot. Anything else (a wrapped or
// revoked cap, another method, a result buffer too small, not in one
// present page or longer than a kernel call fills, a process whose
// kernel-call scratch is not allocated yet, a full or corrupt ring) is
// left untouched: the generic path answers it, errors included.
#pragma once

#include "kernel/ring/ring_engine.h"
#include "kernel/sched/kernel_lock.h"

namespace capos {

class Process;

// True when it completed the ring's one pending SQE (consumed, CQE posted,
// counted in the ring stats by the caller); false when it changed nothing.
bool kernel_fast_call(Process& p, RingEngine& ring) CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos
