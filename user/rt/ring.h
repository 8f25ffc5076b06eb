// Userspace side of the capability ring: submit SQEs, reap CQEs, and wait
// for a specific completion by user_data while stashing others (CQEs can
// complete out of order).
#pragma once

#include <stdint.h>

#include "lib/abi/errors.h"
#include "lib/abi/ring.h"
#include "lib/core/result.h"

namespace capos::rt {

class Ring {
 public:
  static constexpr uint32_t STASH = abi::CQ_ENTRIES;

  void attach(abi::RingPage* page) { page_ = page; }
  abi::RingPage* page() const { return page_; }

  // Room for another SQE? (Inline, like push and pop: every ring operation
  // of every program passes here.)
  bool sq_full() const {
    auto& h = page_->header;
    uint32_t head = __atomic_load_n(&h.sq_head, __ATOMIC_ACQUIRE);
    return h.sq_tail - head >= abi::SQ_ENTRIES;
  }
  // Queues one SQE (fails when the SQ is full; call enter() first).
  bool push(const abi::CapSqe& sqe) {
    if (sq_full()) return false;
    auto& h = page_->header;
    page_->sq[h.sq_tail % abi::SQ_ENTRIES] = sqe;
    __atomic_store_n(&h.sq_tail, h.sq_tail + 1, __ATOMIC_RELEASE);
    return true;
  }
  // In-place submission, the shape of io_uring_get_sqe: the free SQ slot
  // `k` entries past the published tail, cleared, or null when the SQ has
  // no such free slot. Fill slots 0..n-1, then publish(n) makes them
  // visible to the kernel at once (one tail store; no SQE copied twice).
  abi::CapSqe* sqe_slot(uint32_t k) {
    auto& h = page_->header;
    uint32_t head = __atomic_load_n(&h.sq_head, __ATOMIC_ACQUIRE);
    if (h.sq_tail - head + k >= abi::SQ_ENTRIES) return nullptr;
    abi::CapSqe* s = &page_->sq[(h.sq_tail + k) % abi::SQ_ENTRIES];
    *s = abi::CapSqe{};
    return s;
  }
  void publish(uint32_t n) {
    auto& h = page_->header;
    __atomic_store_n(&h.sq_tail, h.sq_tail + n, __ATOMIC_RELEASE);
  }
  // Lets the kernel process queued SQEs; blocks for min_complete CQEs.
  // The CQEs ready, or cap_enter's refusal as its own Err (each CAP_ERR_*
  // code maps to a distinct one, lib/abi/cap_err.h).
  Result<uint32_t> enter(uint32_t min_complete, uint64_t timeout_ns = abi::CAP_ENTER_FOREVER);
  // Pops one CQE if available.
  bool pop(abi::CapCqe* out) {
    auto& h = page_->header;
    uint32_t tail = __atomic_load_n(&h.cq_tail, __ATOMIC_ACQUIRE);
    if (h.cq_head == tail) return false;
    *out = page_->cq[h.cq_head % abi::CQ_ENTRIES];
    __atomic_store_n(&h.cq_head, h.cq_head + 1, __ATOMIC_RELEASE);
    return true;
  }
  // In-place completion, the shape of io_uring_for_each_cqe: the CQE `k`
  // entries past the consumer head if the kernel has posted it, else
  // null; consume(n) then frees the first n in one head store. The entry
  // lives in the shared page: read each field once.
  const abi::CapCqe* cqe_at(uint32_t k) const {
    auto& h = page_->header;
    uint32_t tail = __atomic_load_n(&h.cq_tail, __ATOMIC_ACQUIRE);
    if (tail - h.cq_head <= k) return nullptr;
    return &page_->cq[(h.cq_head + k) % abi::CQ_ENTRIES];
  }
  void consume(uint32_t n) {
    auto& h = page_->header;
    __atomic_store_n(&h.cq_head, h.cq_head + n, __ATOMIC_RELEASE);
  }
  // Submits one SQE and waits for its completion (matching user_data).
  abi::CapCqe call(const abi::CapSqe& sqe);
  // The second half of call(): waits for the completion of an SQE already
  // published in place (sqe_slot + publish) with this user_data. A
  // refused cap_enter becomes the CQE's result (the CAP_ERR_* code).
  abi::CapCqe await(uint64_t user_data);
  // Takes the completion for `user_data` if it has arrived (stashed or in
  // the CQ), stashing others; never blocks. For callers that keep several
  // operations in flight (rt::poll_call, rt::serve).
  bool try_take(uint64_t user_data, abi::CapCqe* out);
  uint64_t next_user_data() { return ++user_data_; }
  // True when no completion waits, neither in the CQ nor in the stash: a
  // caller polling many operations with try_take can stop looking (one
  // posted later stays in the CQ, where enter/wait_new see it).
  bool nothing_ready() const {
    auto& h = page_->header;
    return stashed_ == 0 && h.cq_head == __atomic_load_n(&h.cq_tail, __ATOMIC_ACQUIRE);
  }
  // How many CQEs have been moved into the stash so far. A caller that
  // polls several operations in turn (try_take for each) takes the mark
  // before its first poll and hands it to wait_new(): polling a later
  // operation pops the CQ and may stash the completion of one polled
  // earlier, which arrived meanwhile (an interrupt's deferred work posts
  // CQEs while user code runs). The kernel counts only CQEs still in the
  // CQ, so a plain enter(1) would then sleep on a completion that is
  // already here.
  uint64_t stash_mark() const { return stash_total_; }
  // Waits for a completion the caller has not looked at yet: returns 0 at
  // once if anything was stashed since `mark`, else enter(1, timeout_ns).
  Result<uint32_t> wait_new(uint64_t mark, uint64_t timeout_ns = abi::CAP_ENTER_FOREVER);

 private:
  abi::CapCqe wait_for(uint64_t user_data);
  bool take_stashed(uint64_t user_data, abi::CapCqe* out);
  void stash(const abi::CapCqe& c);
  abi::RingPage* page_ = nullptr;
  uint64_t user_data_ = 0;
  abi::CapCqe stash_[STASH];
  uint32_t stashed_ = 0;
  uint64_t stash_total_ = 0;  // CQEs ever stashed (see stash_mark)
};

// The calling thread's ring (Ring v2: one per thread). Inline: a single
// %fs-relative load on every ring operation.
extern thread_local Ring* t_ring;
inline Ring& ring() { return *t_ring; }

}  // namespace capos::rt
