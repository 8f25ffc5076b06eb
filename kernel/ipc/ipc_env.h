// What the IPC state machine (ipc.cpp) takes from the rest of the kernel:
// the process (its cap table, ledger, per-thread rings, address space, IPC
// lists and session), the scheduler's wake-up and the ring slot of the
// thread in the kernel. The kernel build gets the real
// ones below, inline, so the hot path costs what it did before the seam.
// The host tests (tests/host/ipc) compile the same ipc.cpp and endpoint.cpp
// with CAPOS_IPC_ENV naming a header that defines a model Process and
// AddressSpace with the same members, so the state machine runs under
// ASan/UBSan against the real CapTable, ResourceLedger, TransferTxn,
// CallTable and RingEngine.
#pragma once

#if defined(CAPOS_IPC_ENV)
#include CAPOS_IPC_ENV
#else
#include "kernel/proc/process.h"
#include "kernel/ring/dispatch.h"
#include "kernel/sched/cap_enter_wait.h"
#include "kernel/sched/scheduler.h"

namespace capos::ipc::env {

// Wakes the thread owning ring `slot` of `p` if it waits in cap_enter and
// is now satisfied, as `how` says (endpoint.h).
// The test is sched::cap_enter_satisfied with what the caller knows: the
// thread of ring `slot` belongs to `p` and waits on p.ring(slot), whose
// cq_head it validated before it blocked (RingEngine::cq_ready_bound: the
// woken cap_enter checks cq_ready() itself).
inline void wake(Process& p, uint32_t slot, Wake how) CAPOS_REQUIRES(g_kernel_lock) {
  Thread* t = p.thread_in(slot);
  if (!t || !sched::waits_in_cap_enter(t) || p.ring(slot).cq_ready_bound() < t->wait_min) return;
  if (how == Wake::Direct) sched::handoff_blocked(t);
  else if (how == Wake::Front) sched::make_runnable_front(t);
  else sched::make_runnable(t);
}

// An SQE the endpoint fast path handled counts in the ring statistics as
// one the generic drain handled would.
inline void count_sqe(bool error) CAPOS_REQUIRES(g_kernel_lock) { ring_stats_add(1, error ? 1 : 0); }
// An SQE the fast path ran fused (fast_path.cpp): counted by the host
// tests only, to show the fused code really ran.
inline void note_fused() {}
// A recycled call record's fields that are not reset (records::recycle):
// left as they are here; the host tests overwrite them with garbage.
inline void poison_recycled(IpcCall*) {}

// The ring slot of the thread running the current kernel entry.
inline uint8_t current_slot() {
  Thread* t = sched::current();
  return t ? t->slot : 0;
}

}  // namespace capos::ipc::env
#endif
