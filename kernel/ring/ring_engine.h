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

  // CQEs posted and not yet consumed (per the last valid cq_head). Inline:
  // cap_enter and the wake-up test ask several times per system call.
  uint32_t cq_ready() {
    refresh_cq_head();
    return cq_tail_ - cq_head_valid_;
  }
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
  void set_status(uint32_t bit, bool on);

  abi::RingPage* page_ = nullptr;
  uint32_t sq_head_ = 0;
  uint32_t cq_tail_ = 0;
  uint32_t cq_head_valid_ = 0;
  uint32_t cq_reserved_ = 0;
};

}  // namespace capos
