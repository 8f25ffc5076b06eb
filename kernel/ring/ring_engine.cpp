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


uint32_t RingEngine::peek(CapSqe* out, uint32_t max, uint32_t first_opcodes) {
  auto& hdr = page_->header;
  // A quick look first (a user-written hint, read again below): a batch of
  // another shape costs the generic path only these few instructions.
  uint32_t pending = load_user(&hdr.sq_tail) - sq_head_;
  if (pending == 0 || pending > max) return 0;
  uint8_t op = page_->sq[sq_head_ % SQ_ENTRIES].opcode;
  if (op >= 32 || !(first_opcodes >> op & 1)) return 0;
  CAPOS_MEASURE_SEG(Fetch);
  // The kernel-owned words are rewritten as drain rewrites them.
  store_kernel(&hdr.sq_head, sq_head_);
  store_kernel(&hdr.cq_tail, cq_tail_);
  // A corrupt index or a status bit to clear is the generic drain's business.
  if (!refresh_cq_head() || (hdr.status & abi::RING_STATUS_SQ_CORRUPT)) return 0;
  if (cq_tail_ - cq_head_valid_ + cq_reserved_ + pending > CQ_ENTRIES) return 0;
  for (uint32_t i = 0; i < pending; ++i)
    __builtin_memcpy_inline(&out[i], &page_->sq[(sq_head_ + i) % SQ_ENTRIES], sizeof(CapSqe));
  return pending;
}

void RingEngine::take() {
  ++sq_head_;
  store_kernel(&page_->header.sq_head, sq_head_);
}

void RingEngine::post_reserved(const CapCqe& cqe) {
  if (cq_reserved_ == 0) __builtin_trap();  // completion without a reservation: kernel bug
  --cq_reserved_;
  post(cqe);
}

void RingEngine::drop_reservation() {
  if (cq_reserved_ == 0) __builtin_trap();
  --cq_reserved_;
}

}  // namespace capos
