#include "kernel/ring/ring_engine.h"

#include "kernel/debug/measure.h"
#include "lib/core/cstring.h"

namespace capos {

using abi::CapCqe;
using abi::CapSqe;
using abi::CQ_ENTRIES;
using abi::SQ_ENTRIES;

using ring_detail::load_user;
using ring_detail::store_kernel;

void RingEngine::init_page(bool page_is_zero) {
  if (!page_is_zero) memset(page_, 0, sizeof(abi::RingPage));
  auto& h = page_->header;
  h.abi_version = abi::RING_ABI_VERSION;
  h.sq_entries = SQ_ENTRIES;
  h.cq_entries = CQ_ENTRIES;
  h.sq_offset = abi::RING_SQ_OFFSET;
  h.cq_offset = abi::RING_CQ_OFFSET;
  sq_head_ = cq_tail_ = cq_head_valid_ = cq_reserved_ = 0;
}

void RingEngine::set_status(uint32_t bit, bool on) {
  auto& h = page_->header;
  uint32_t s = h.status;
  if (on == ((s & bit) != 0)) return;  // unchanged: no store into the shared page
  if (on) {
    h.corrupt_events = h.corrupt_events + 1;
  }
  h.status = on ? (s | bit) : (s & ~bit);
}

uint32_t RingEngine::cq_head_corrupt() {
  set_status(abi::RING_STATUS_CQ_CORRUPT, true);
  return 0;
}

uint32_t RingEngine::peek_status_set(uint32_t pending) {
  set_status(abi::RING_STATUS_CQ_CORRUPT, false);
  if (page_->header.status & abi::RING_STATUS_SQ_CORRUPT) return 0;
  return cq_tail_ - cq_head_valid_ + cq_reserved_ + pending <= CQ_ENTRIES ? pending : 0;
}

void RingEngine::drop_reservation() {
  if (cq_reserved_ == 0) __builtin_trap();
  --cq_reserved_;
}

}  // namespace capos
