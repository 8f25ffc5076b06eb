// Kernel side of one capability ring. The page is shared with userspace,
// so every user-written word is read once, validated, and never trusted:
// the kernel keeps private copies of sq_head, cq_tail and the last valid
// cq_head. An SQE is consumed only when a CQ slot is guaranteed for its
// completion (synchronous, or reserved for an asynchronous one), so a
// completion is never dropped and an unread CQE is never overwritten.
// Portable: host-tested.
#pragma once

#include <stdint.h>

#include "lib/abi/ring.h"

namespace capos {

class SqeHandler {
 public:
  enum class Outcome { Completed, Pending };
  // Handles one validated copy of an SQE. For Completed, fill `cqe`
  // (user_data is prefilled). Pending means the handler will call
  // RingEngine::post_reserved later.
  virtual Outcome handle(const abi::CapSqe& sqe, abi::CapCqe* cqe) = 0;

 protected:
  ~SqeHandler() = default;
};

class RingEngine {
 public:
  RingEngine() = default;
  explicit RingEngine(abi::RingPage* page) : page_(page) {}
  // Writes the constants and zeroes the indexes (fresh process). With
  // `page_is_zero` (a frame just mapped, zeroed by the frame allocator)
  // the page is not cleared a second time.
  void init_page(bool page_is_zero = false);
  abi::RingPage* page() const { return page_; }

  struct DrainResult {
    uint32_t consumed = 0;
    // CQEs posted and not yet consumed when the drain ended (what
    // cq_ready() would say; the drain has just validated cq_head). Not set
    // when the SQ was found corrupt.
    uint32_t ready = 0;
    bool sq_corrupt = false;
    bool cq_corrupt = false;
    // SQEs are left queued because every CQ slot is posted or reserved:
    // nothing more can be consumed until userspace reads completions.
    bool cq_stalled = false;
  };
  // Consumes up to `max` SQEs.
  DrainResult drain(SqeHandler& h, uint32_t max = abi::SQ_BATCH_MAX);
  // Posts a completion into a slot reserved by an earlier Pending outcome.
  void post_reserved(const abi::CapCqe& cqe);
  // Gives back a reserved slot without posting (the operation vanished
  // together with its process).
  void drop_reservation();

  // The endpoint fast path's fetch (kernel/ipc/fast_path.cpp, docs/ipc.md
  // "Fast path"): when 1..`max` SQEs are pending, the first one's opcode
  // is in the mask `first_opcodes` (bit 1 << opcode), nothing is corrupt and the CQ has a guaranteed slot
  // for each, copies them to `out` (each read once: the copies are what
  // counts) without consuming any and returns how many; else 0, and the
  // generic drain decides. take() then consumes the next one, and
  // reserve()/complete() give it its CQ slot, in the order drain would.
  uint32_t peek(abi::CapSqe* out, uint32_t max, uint32_t first_opcodes);
  // The fast path's first look, inline: the next SQE in the shared page
  // when 1..`max` are pending, else null. A hint only (userspace may still
  // change it): peek() reads what counts.
  const abi::CapSqe* head_hint(uint32_t max) const {
    uint32_t n = __atomic_load_n(&page_->header.sq_tail, __ATOMIC_ACQUIRE) - sq_head_;
    return n - 1 < max ? &page_->sq[sq_head_ % abi::SQ_ENTRIES] : nullptr;
  }
  // Whether cap_enter asks the endpoint fast path first: set by an
  // endpoint CALL or RECV on this ring, cleared when the fast path declines
  // a batch. A hint only, so a ring that never speaks to endpoints (NOPs,
  // kernel-cap calls, PARK) pays one test per cap_enter.
  bool fast_armed = false;
  void take();
  void reserve() { ++cq_reserved_; }
  void complete(const abi::CapCqe& cqe) { post(cqe); }

  // CQEs posted and not yet consumed (per the last valid cq_head). Inline:
  // cap_enter and the wake-up test ask several times per system call.
  uint32_t cq_ready() {
    refresh_cq_head();
    return cq_tail_ - cq_head_valid_;
  }
  // cq_ready() without reading cq_head again: per the head last
  // validated. Never less than cq_ready() would say, because a valid head
  // only moves forward (a corrupt one is ignored). The endpoint wake-up
  // test (ipc env::wake) asks this, right after posting, for a thread
  // blocked in cap_enter: its cap_enter validated the head just before it
  // blocked and checks cq_ready() again when woken, so the only error --
  // another thread of the process consumed CQEs meanwhile -- is a wake-up
  // that finds too few and blocks again, never a lost one.
  uint32_t cq_ready_bound() const { return cq_tail_ - cq_head_valid_; }
  uint32_t reserved() const { return cq_reserved_; }
  // User has submitted SQEs the kernel has not consumed. Inline: cap_enter
  // asks on every pass that did not satisfy it.
  bool sq_pending() const {
    uint32_t n = __atomic_load_n(&page_->header.sq_tail, __ATOMIC_ACQUIRE) - sq_head_;
    return n != 0 && n <= abi::SQ_ENTRIES;
  }

 private:
  // Reads and validates cq_head; returns false if it is corrupt.
  bool refresh_cq_head() {
    uint32_t head = __atomic_load_n(&page_->header.cq_head, __ATOMIC_ACQUIRE);
    // Valid iff it lies between the last valid head and our tail (unsigned,
    // wrap-safe): userspace may only move it forward over posted entries.
    if (head - cq_head_valid_ > cq_tail_ - cq_head_valid_) [[unlikely]] {
      set_status(abi::RING_STATUS_CQ_CORRUPT, true);
      return false;
    }
    cq_head_valid_ = head;
    if (page_->header.status & abi::RING_STATUS_CQ_CORRUPT) [[unlikely]]
      set_status(abi::RING_STATUS_CQ_CORRUPT, false);
    return true;
  }
  void post(const abi::CapCqe& cqe);
  // Completes consecutive plain NOPs (opcode NOP, no flags) from sq_head,
  // at most `limit` and at most the free CQ slots, without a handler call
  // and without copying the SQE: each CQE is written in its slot and the
  // indices are published once. Returns how many.
  uint32_t complete_nops(uint32_t limit);
  void set_status(uint32_t bit, bool on);

  abi::RingPage* page_ = nullptr;
  uint32_t sq_head_ = 0;
  uint32_t cq_tail_ = 0;
  uint32_t cq_head_valid_ = 0;
  uint32_t cq_reserved_ = 0;
};

}  // namespace capos
