// A process's private futex table: CAP_OP_PARK / CAP_OP_UNPARK
// (docs/threads.md). A parked PARK is a deferred operation like a Timer
// sleep: an IpcCall record charged to the process (OutstandingCalls,
// KernelBytes) holding a reserved CQ slot in the parking thread's ring.
// The word check and the enqueue happen under the kernel lock, so an
// UNPARK cannot slip between them.
#pragma once

#include <stdint.h>

#include "kernel/ipc/endpoint.h"
#include "kernel/mm/user_addr.h"
#include "kernel/proc/park_table.h"
#include "kernel/sched/kernel_lock.h"
#include "lib/abi/ring.h"
#include "lib/core/intrusive_list.h"

namespace capos {

class Process;

class ParkSpace final : public DeferredOwner {
 public:
  // Longest PARK timeout (one hour), and the most waiters one UNPARK may
  // ask for (UNPARK_MAX wakes every waiter: no process can have more).
  static constexpr uint64_t MAX_TIMEOUT_NS = 3600ull * 1000000000ull;
  static constexpr uint32_t UNPARK_MAX = 4096;

  // Ring operations: PARK is pending until woken, cancelled or timed out;
  // UNPARK is done with the number of threads woken.
  CapResult park(Process& p, const abi::CapSqe& sqe) CAPOS_REQUIRES(g_kernel_lock);
  CapResult unpark(Process& p, const abi::CapSqe& sqe) CAPOS_REQUIRES(g_kernel_lock);
  // Pages [va, va + len) left the address space: their waiters complete
  // with CAP_ERR_CANCELLED.
  void address_removed(UserAddr va, uint64_t len) CAPOS_REQUIRES(g_kernel_lock);
  // The caller's record goes away (thread or process exit): forget it.
  void cancel(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) override;
  uint32_t waiters() const CAPOS_REQUIRES(g_kernel_lock) { return table_.size(); }

  // Deferred timer work: completes every timed-out PARK of every process.
  static void expire_all() CAPOS_REQUIRES(g_kernel_lock);
  // The earliest PARK timeout of any process (monotonic ns; ~0 = none),
  // for the boot CPU's tickless idle.
  static uint64_t next_deadline() CAPOS_REQUIRES(g_kernel_lock);

  ListNode timed_node;  // on the list of spaces with a timed waiter

 private:
  void expire(uint64_t now) CAPOS_REQUIRES(g_kernel_lock);
  void update_timed() CAPOS_REQUIRES(g_kernel_lock);
  ParkTable<IpcCall> table_ CAPOS_GUARDED_BY(g_kernel_lock);
};

}  // namespace capos
