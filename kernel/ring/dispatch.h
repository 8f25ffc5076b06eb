// The two system calls and SQE dispatch for the calling process.
#pragma once

#include <stdint.h>

#include "kernel/cap/cap_result.h"
#include "kernel/sched/kernel_lock.h"

namespace capos {
class Process;

// cap_enter(min_complete, timeout_ns): drains the ring, then blocks until
// at least min_complete CQEs are ready or the timeout passes. The number
// of ready CQEs, or why the call was refused; the syscall boundary
// (handle_syscall) is the one place this becomes the ABI's rax (a count,
// or a negative CAP_ERR_*).
Result<uint32_t, CapError> cap_enter(Process& p, uint64_t min_complete, uint64_t timeout_ns)
    CAPOS_REQUIRES(g_kernel_lock);

struct RingStats {
  uint64_t sqes;
  uint64_t errors;
};
RingStats ring_stats() CAPOS_REQUIRES(g_kernel_lock);
extern RingStats g_ring_stats CAPOS_GUARDED_BY(g_kernel_lock);
// SQEs handled outside the generic drain (the endpoint fast path) count
// too. Inline: once per SQE.
inline void ring_stats_add(uint64_t sqes, uint64_t errors) CAPOS_REQUIRES(g_kernel_lock) {
  g_ring_stats.sqes += sqes;
  g_ring_stats.errors += errors;
}
}  // namespace capos
