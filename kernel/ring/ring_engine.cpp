#include "kernel/ring/ring_engine.h"

#include "kernel/debug/measure.h"
#include "lib/core/cstring.h"

namespace capos {

using abi::CapCqe;
using abi::CapSqe;
using abi::CQ_ENTRIES;
using abi::SQ_ENTRIES;

namespace {
template <class T> T load_user(const T* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
template <class T> void store_kernel(T* p, T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
}  // namespace

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

RingEngine::DrainResult RingEngine::drain(SqeHandler& h, uint32_t max) {
  CAPOS_MEASURE_SEG(Fetch);
  DrainResult r;
  auto& hdr = page_->header;
  // Rewrite the kernel-owned words in case userspace scribbled on them.
  store_kernel(&hdr.sq_head, sq_head_);
  store_kernel(&hdr.cq_tail, cq_tail_);
  if (!refresh_cq_head()) r.cq_corrupt = true;
  uint32_t tail = load_user(&hdr.sq_tail);
  uint32_t pending = tail - sq_head_;
  if (pending > SQ_ENTRIES) {
    set_status(abi::RING_STATUS_SQ_CORRUPT, true);
    r.sq_corrupt = true;
    CAPOS_MEASURE_SEG(Enter);
    return r;  // consume nothing until userspace repairs sq_tail
  }
  set_status(abi::RING_STATUS_SQ_CORRUPT, false);
  // A batch that starts with a NOP takes the NOP path first (the first
  // SQE's opcode and flags are only a hint here: complete_nops reads them
  // again and acts on that read). Everything after the first SQE that is
  // not a plain NOP goes through the handler below, NOPs included.
  if (pending > 0 && max > 0) {
    const CapSqe* first = &page_->sq[sq_head_ % SQ_ENTRIES];
    if ((load_user(&first->opcode) | load_user(&first->flags)) == 0) {
      uint32_t k = complete_nops(pending < max ? pending : max);
      r.consumed = k;
      pending -= k;
    }
  }
  while (r.consumed < max && pending > 0) {
    uint32_t used = cq_tail_ - cq_head_valid_ + cq_reserved_;
    if (used >= CQ_ENTRIES) {  // no guaranteed CQ slot: leave the SQE queued
      hdr.cq_full_stalls = hdr.cq_full_stalls + 1;
      r.cq_stalled = true;
      break;
    }
    CAPOS_MEASURE_SEG(Fetch);
    CapSqe sqe;
    // Single fetch, inline (eight quadword moves instead of a memcpy call).
    __builtin_memcpy_inline(&sqe, &page_->sq[sq_head_ % SQ_ENTRIES], sizeof(sqe));
    ++sq_head_;
    --pending;
    ++r.consumed;
    store_kernel(&hdr.sq_head, sq_head_);
    CapCqe cqe{};
    cqe.user_data = sqe.user_data;
    if (h.handle(sqe, &cqe) == SqeHandler::Outcome::Pending) {
      ++cq_reserved_;
    } else {
      CAPOS_MEASURE_SEG(Post);
      post(cqe);
    }
  }
  r.ready = cq_tail_ - cq_head_valid_;
  CAPOS_MEASURE_SEG(Enter);
  return r;
}

uint32_t RingEngine::complete_nops(uint32_t limit) {
  CAPOS_MEASURE_SEG(Fetch);
  uint32_t room = CQ_ENTRIES - (cq_tail_ - cq_head_valid_ + cq_reserved_);
  if (limit > room) limit = room;  // the caller's loop then reports the stall
  // Local copies: stores into the shared page could alias the members.
  abi::RingPage* const page = page_;
  uint32_t sq_head = sq_head_;
  uint32_t cq_tail = cq_tail_;
  uint32_t k = 0;
  for (; k < limit; ++k) {
    const CapSqe* slot = &page->sq[sq_head % SQ_ENTRIES];
    // Each field read once: opcode and flags, then user_data.
    uint8_t opcode = load_user(&slot->opcode);
    uint8_t flags = load_user(&slot->flags);
    static_assert(abi::CAP_OP_NOP == 0);
    if ((opcode | flags) != 0) break;  // not a plain NOP: the handler's
    CapCqe* c = &page->cq[cq_tail % CQ_ENTRIES];
    c->user_data = load_user(&slot->user_data);
    c->result = 0;
    c->flags = 0;
    c->call_id = 0;
    c->cap_count = 0;
    c->aux = 0;
    ++sq_head;
    ++cq_tail;
  }
  // One store of each index for the whole run: userspace sees the
  // completions at once.
  sq_head_ = sq_head;
  cq_tail_ = cq_tail;
  store_kernel(&page->header.sq_head, sq_head);
  store_kernel(&page->header.cq_tail, cq_tail);
  return k;
}

void RingEngine::drop_reservation() {
  if (cq_reserved_ == 0) __builtin_trap();
  --cq_reserved_;
}

}  // namespace capos
