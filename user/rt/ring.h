// Userspace side of the capability ring: submit SQEs, reap CQEs, and wait
// for a specific completion by user_data while stashing others (CQEs can
// complete out of order).
#pragma once

#include <stdint.h>

#include "lib/abi/errors.h"
#include "lib/abi/ring.h"

namespace capos::rt {

class Ring {
 public:
  static constexpr uint32_t STASH = abi::CQ_ENTRIES;

  void attach(abi::RingPage* page) { page_ = page; }
  abi::RingPage* page() const { return page_; }

  // Room for another SQE?
  bool sq_full() const;
  // Queues one SQE (fails when the SQ is full; call enter() first).
  bool push(const abi::CapSqe& sqe);
  // Lets the kernel process queued SQEs; blocks for min_complete CQEs.
  int64_t enter(uint32_t min_complete, uint64_t timeout_ns = abi::CAP_ENTER_FOREVER);
  // Pops one CQE if available.
  bool pop(abi::CapCqe* out);
  // Submits one SQE and waits for its completion (matching user_data).
  abi::CapCqe call(const abi::CapSqe& sqe);
  // Takes the completion for `user_data` if it has arrived (stashed or in
  // the CQ), stashing others; never blocks. For callers that keep several
  // operations in flight (rt::poll_call, rt::serve).
  bool try_take(uint64_t user_data, abi::CapCqe* out);
  uint64_t next_user_data() { return ++user_data_; }

 private:
  bool take_stashed(uint64_t user_data, abi::CapCqe* out);
  abi::RingPage* page_ = nullptr;
  uint64_t user_data_ = 0;
  abi::CapCqe stash_[STASH];
  uint32_t stashed_ = 0;
};

// The calling thread's ring (Ring v2: one per thread). Inline: a single
// %fs-relative load on every ring operation.
extern thread_local Ring* t_ring;
inline Ring& ring() { return *t_ring; }

}  // namespace capos::rt
