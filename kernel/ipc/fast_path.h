// The endpoint fast path (docs/ipc.md "Fast path"): cap_enter tries it
// before the generic drain. It takes exactly the seL4 shape -- a client's
// single CALL on an endpoint client cap, or a server's RETURN followed by
// its next RECV on the same owner cap -- and runs the same IPC operations
// (ipc::call, ipc::ret, ipc::recv, with every check they make) without the
// generic drain's per-SQE dispatch. Anything else (other opcodes, flags,
// wrapped or kernel caps, a batch of another shape, a ring that is full or
// corrupt) is left untouched for the generic path.
#pragma once

#include "kernel/ring/ring_engine.h"
#include "kernel/sched/kernel_lock.h"

namespace capos {
class Process;
}  // namespace capos

namespace capos::ipc {

// `ring` is the calling thread's own ring (p.ring(current_slot()), as
// cap_enter passes it). True when it consumed every pending SQE of `ring` (and posted or
// reserved their completions exactly as the generic drain would); false
// when it changed nothing but the ring's fast_armed hint. cap_enter asks
// it only while the hint is set.
bool fast_path(Process& p, RingEngine& ring) CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::ipc
