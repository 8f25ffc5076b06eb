// What the IPC state machine (ipc.cpp) takes from the rest of the kernel:
// the process (its cap table, ledger, ring, address space, IPC lists and
// session) and the scheduler's wake-up. The kernel build gets the real
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
#include "kernel/sched/scheduler.h"

namespace capos::ipc::env {

// Wakes `p`'s thread if it waits in cap_enter and is now satisfied; a
// handoff puts it at the front of the run queue (the server runs next).
inline void wake(Process& p, bool handoff) CAPOS_REQUIRES(g_kernel_lock) {
  Thread* t = p.main_thread();
  if (!t || !sched::cap_enter_satisfied(t)) return;
  if (handoff) sched::make_runnable_front(t); else sched::make_runnable(t);
}

}  // namespace capos::ipc::env
#endif
