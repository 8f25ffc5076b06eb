// Kernel side of one capability ring. The page is shared with userspace,
// so every user-written word is read once, validated, and never trusted:
// the kernel keeps private copies of sq_head, cq_tail and the last valid
// cq_head. An SQE is consumed only when a CQ slot is guaranteed for its
// completion (synchronous, or reserved for an asynchronous one), so a
// completion is never dropped and an unread CQE is never overwritten.
// Portable: host-tested.
#pragma once

#include <stdint.h>

#include "kernel/debug/measure.h"
#include "lib/abi/ring.h"

namespace capos {

namespace ring_detail {
// Words userspace writes are read once each; words the kernel owns are
// published with release order (the CQE before cq_tail).
template <class T> T load_user(const T* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
template <class T> void store_kernel(T* p, T v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
// A plain NOP's completion, written field by field over whatever the slot
// held: user_data read once from the SQE, everything else zero.
[[gnu::always_inline]] inline void write_nop_cqe(abi::CapCqe* c, const abi::CapSqe* sqe) {
  c->user_data = load_user(&sqe->user_data);
  c->result = 0;
  c->flags = 0;
  c->call_id = 0;
  c->cap_count = 0;
  c->aux = 0;
}
}  // namespace ring_detail

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
  DrainResult drain(SqeHandler& h, uint32_t max = abi::SQ_BATCH_MAX);  // inline, below
  // Posts a completion into a slot reserved by an earlier Pending outcome.
  // Inline, as take/complete: each runs once or twice per endpoint round trip.
  void post_reserved(const abi::CapCqe& cqe) {
    uint32_t reserved = cq_reserved_;
    if (reserved == 0) __builtin_trap();  // completion without a reservation: kernel bug
    cq_reserved_ = reserved - 1;
    post(cqe);
  }
  // Gives back a reserved slot without posting (the operation vanished
  // together with its process).
  void drop_reservation();

  // The endpoint fast path's fetch (kernel/ipc/fast_path.cpp, docs/ipc.md
  // "Fast path"): when 1..`max` SQEs are pending, the first one's opcode
  // is in the mask `first_opcodes` (bit 1 << opcode), nothing is corrupt
  // and the CQ has a guaranteed slot for each, how many (none consumed);
  // else 0, and the generic drain decides. The fused shapes then read their
  // slots field by field through pending_sqe() (userspace may still write
  // them: each field the kernel acts on is read once); the other shapes
  // copy them whole (copy_pending) and act on the copies. take() then
  // consumes the next one, and reserve()/complete() give it its CQ slot,
  // in the order drain would.
  // A leaf that saves no registers (it runs on both halves of every
  // endpoint round trip): each member and user word loaded once into a
  // register (a store into the shared page would otherwise make the
  // compiler load the members again), the rare cases tail calls. The same
  // checks and effects as refresh_cq_head(): a corrupt cq_head sets
  // RING_STATUS_CQ_CORRUPT, a valid one clears it (out of line, with the
  // SQ-corrupt decline, behind one test of the status word). Not inline:
  // inlined into fast_path it tips that function over the inliner's
  // budget and its fused helpers become calls (docs/perf-history.md,
  // "Eighth pass").
  [[gnu::noinline]] uint32_t peek_count(uint32_t max, uint32_t first_opcodes) {
    abi::RingPage* const page = page_;
    auto& hdr = page->header;
    const uint32_t sq_head = sq_head_;
    // A quick look first (a user-written hint, read again below): a batch of
    // another shape costs the generic path only these few instructions.
    uint32_t pending = ring_detail::load_user(&hdr.sq_tail) - sq_head;
    if (pending - 1 >= max) return 0;  // none pending, or more than `max`
    uint8_t op = page->sq[sq_head % abi::SQ_ENTRIES].opcode;
    if (op >= 32 || !(first_opcodes >> op & 1)) return 0;
    CAPOS_MEASURE_SEG(Fetch);
    const uint32_t cq_tail = cq_tail_;
    const uint32_t valid = cq_head_valid_;
    // The kernel-owned words are rewritten as drain rewrites them.
    ring_detail::store_kernel(&hdr.sq_head, sq_head);
    ring_detail::store_kernel(&hdr.cq_tail, cq_tail);
    // refresh_cq_head's test: valid iff between the last valid head and our tail.
    uint32_t head = ring_detail::load_user(&hdr.cq_head);
    if (head - valid > cq_tail - valid) [[unlikely]] return cq_head_corrupt();
    cq_head_valid_ = head;
    // A status bit set: CQ-corrupt is cleared (the head is valid now), and
    // an SQ-corrupt one is the generic drain's business.
    if (hdr.status & (abi::RING_STATUS_SQ_CORRUPT | abi::RING_STATUS_CQ_CORRUPT)) [[unlikely]]
      return peek_status_set(pending);
    return cq_tail - head + cq_reserved_ + pending <= abi::CQ_ENTRIES ? pending : 0;
  }
  const abi::CapSqe& pending_sqe(uint32_t i) const { return page_->sq[(sq_head_ + i) % abi::SQ_ENTRIES]; }
  void copy_pending(abi::CapSqe* out, uint32_t n) const {
    for (uint32_t i = 0; i < n; ++i) __builtin_memcpy_inline(&out[i], &pending_sqe(i), sizeof(abi::CapSqe));
  }
  // Whether cap_enter asks the endpoint fast path first: set by an
  // endpoint CALL or RECV on this ring, cleared when the fast path declines
  // a batch. A hint only, so a ring that never speaks to endpoints (NOPs,
  // kernel-cap calls, PARK) pays one test per cap_enter.
  bool fast_armed = false;
  void take() {
    ++sq_head_;
    __atomic_store_n(&page_->header.sq_head, sq_head_, __ATOMIC_RELEASE);
  }
  void reserve() { ++cq_reserved_; }

  // cap_enter's NOP shortcut (kernel/ring/dispatch.cpp, docs/ipc.md "Ring
  // NOP shortcut"), run before cap_enter builds its handler, deadline and
  // wait state. It acts only when 1..SQ_BATCH_MAX SQEs are pending,
  // neither index is corrupt, no corrupt-status bit is set (clearing one
  // is drain's business), the CQ has a guaranteed slot for every pending
  // SQE and at least `min_ready` CQEs will be ready once they all are
  // completed; otherwise it declines (consumed 0) and changes nothing.
  // When it acts it does what drain does: the run of plain NOPs from
  // sq_head is completed in place (complete_nops), each field read once.
  // `all`: every pending SQE was one, so cap_enter would return `ready`
  // at once. Otherwise the rest stays queued and cap_enter's drain goes on
  // from the first SQE that is not a plain NOP, where drain's own NOP run
  // would have handed over to the handler.
  struct NopPass {
    uint32_t consumed = 0;
    uint32_t ready = 0;  // CQEs posted and not consumed afterwards (when consumed > 0)
    bool all = false;
  };
  NopPass complete_nop_batch(uint32_t min_ready);
  // Whether the SQE at sq_head is a plain NOP: cap_enter's cheap first
  // test, so other batches pay only this (a hint: complete_nop_batch reads
  // again what it acts on).
  bool nop_at_head() const {
    // opcode and flags are adjacent bytes: one 16-bit load.
    static_assert(__builtin_offsetof(abi::CapSqe, flags) == __builtin_offsetof(abi::CapSqe, opcode) + 1);
    uint16_t op_flags;
    __builtin_memcpy(&op_flags, &page_->sq[sq_head_ % abi::SQ_ENTRIES].opcode, sizeof(op_flags));
    return op_flags == 0;
  }
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
  void post(const abi::CapCqe& cqe);  // inline, below
  // Completes consecutive plain NOPs (opcode NOP, no flags) from sq_head,
  // at most `limit` and at most the free CQ slots, without a handler call
  // and without copying the SQE: each CQE is written in its slot and the
  // indices are published once. Returns how many.
  uint32_t complete_nops(uint32_t limit);
  void set_status(uint32_t bit, bool on);
  // peek_count's rare cases, out of line (tail calls: its common path
  // needs no saved registers). A corrupt cq_head: flagged, 0. A status
  // bit set after cq_head was validated: CQ-corrupt cleared, then 0 for
  // SQ-corrupt (the generic drain's business), else peek_count's answer.
  [[gnu::noinline]] uint32_t cq_head_corrupt();
  [[gnu::noinline]] uint32_t peek_status_set(uint32_t pending);

  abi::RingPage* page_ = nullptr;
  uint32_t sq_head_ = 0;
  uint32_t cq_tail_ = 0;
  uint32_t cq_head_valid_ = 0;
  uint32_t cq_reserved_ = 0;
};

[[gnu::always_inline]] inline RingEngine::NopPass RingEngine::complete_nop_batch(uint32_t min_ready) {
  CAPOS_MEASURE_SEG(Fetch);
  abi::RingPage* const page = page_;
  auto& hdr = page->header;
  uint32_t sq_head = sq_head_;
  uint32_t cq_tail = cq_tail_;
  uint32_t pending = ring_detail::load_user(&hdr.sq_tail) - sq_head;
  if (pending - 1 >= abi::SQ_BATCH_MAX) return {};  // none queued, or sq_tail corrupt
  uint32_t head = ring_detail::load_user(&hdr.cq_head);
  // cq_head is valid iff it lies between the last valid head and our tail
  // (refresh_cq_head's test, as the distance back from the tail).
  uint32_t posted = cq_tail - head;
  if (posted > cq_tail - cq_head_valid_) return {};
  if (hdr.status & (abi::RING_STATUS_SQ_CORRUPT | abi::RING_STATUS_CQ_CORRUPT)) return {};
  if (posted + cq_reserved_ + pending > abi::CQ_ENTRIES) return {};  // drain stalls and reports it
  if (posted + pending < min_ready) return {};                  // cap_enter would wait
  // The first SQE's opcode and flags, read here once and acted on: the
  // caller's nop_at_head was only a hint. Not a plain NOP: nothing changed.
  static_assert(abi::CAP_OP_NOP == 0);
  const abi::CapSqe* slot = &page->sq[sq_head % abi::SQ_ENTRIES];
  if ((ring_detail::load_user(&slot->opcode) | ring_detail::load_user(&slot->flags)) != 0) return {};
  cq_head_valid_ = head;
  // complete_nops' loop without its room clamp (checked above for all of
  // them): every instruction here is on the ring_nop rows. Each field read
  // once: opcode and flags, then user_data.
  uint32_t k = 0;
  for (;;) {
    ring_detail::write_nop_cqe(&page->cq[(cq_tail + k) % abi::CQ_ENTRIES], slot);
    if (++k == pending) break;
    slot = &page->sq[(sq_head + k) % abi::SQ_ENTRIES];
    if ((ring_detail::load_user(&slot->opcode) | ring_detail::load_user(&slot->flags)) != 0) break;  // drain's from here
  }
  // One store of each index for the whole run, as complete_nops.
  sq_head_ = sq_head + k;
  cq_tail_ = cq_tail + k;
  ring_detail::store_kernel(&hdr.sq_head, sq_head_);
  ring_detail::store_kernel(&hdr.cq_tail, cq_tail_);
  CAPOS_MEASURE_SEG(Enter);
  return {k, posted + k, k == pending};
}

// The members read once into registers: the CQE's stores into the shared
// page would otherwise make the compiler read cq_tail_ and page_ again.
inline void RingEngine::post(const abi::CapCqe& cqe) {
  abi::RingPage* const page = page_;
  const uint32_t tail = cq_tail_;
  page->cq[tail % abi::CQ_ENTRIES] = cqe;
  cq_tail_ = tail + 1;
  ring_detail::store_kernel(&page->header.cq_tail, tail + 1);
}

inline uint32_t RingEngine::complete_nops(uint32_t limit) {
  CAPOS_MEASURE_SEG(Fetch);
  uint32_t room = abi::CQ_ENTRIES - (cq_tail_ - cq_head_valid_ + cq_reserved_);
  if (limit > room) limit = room;  // the caller's loop then reports the stall
  // Local copies: stores into the shared page could alias the members.
  abi::RingPage* const page = page_;
  uint32_t sq_head = sq_head_;
  uint32_t cq_tail = cq_tail_;
  uint32_t k = 0;
  for (; k < limit; ++k) {
    const abi::CapSqe* slot = &page->sq[sq_head % abi::SQ_ENTRIES];
    // Each field read once: opcode and flags, then user_data.
    uint8_t opcode = ring_detail::load_user(&slot->opcode);
    uint8_t flags = ring_detail::load_user(&slot->flags);
    static_assert(abi::CAP_OP_NOP == 0);
    if ((opcode | flags) != 0) break;  // not a plain NOP: the handler's
    ring_detail::write_nop_cqe(&page->cq[cq_tail % abi::CQ_ENTRIES], slot);
    ++sq_head;
    ++cq_tail;
  }
  // One store of each index for the whole run: userspace sees the
  // completions at once.
  sq_head_ = sq_head;
  cq_tail_ = cq_tail;
  ring_detail::store_kernel(&page->header.sq_head, sq_head);
  ring_detail::store_kernel(&page->header.cq_tail, cq_tail);
  return k;
}

// Inline: cap_enter is the kernel's one caller, and with the batch bound a
// constant and DrainResult in registers every generic cap_enter is cheaper.
[[gnu::always_inline]] inline RingEngine::DrainResult RingEngine::drain(SqeHandler& h, uint32_t max) {
  CAPOS_MEASURE_SEG(Fetch);
  DrainResult r;
  auto& hdr = page_->header;
  // Rewrite the kernel-owned words in case userspace scribbled on them.
  ring_detail::store_kernel(&hdr.sq_head, sq_head_);
  ring_detail::store_kernel(&hdr.cq_tail, cq_tail_);
  if (!refresh_cq_head()) r.cq_corrupt = true;
  uint32_t tail = ring_detail::load_user(&hdr.sq_tail);
  uint32_t pending = tail - sq_head_;
  if (pending > abi::SQ_ENTRIES) {
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
    const abi::CapSqe* first = &page_->sq[sq_head_ % abi::SQ_ENTRIES];
    if ((ring_detail::load_user(&first->opcode) | ring_detail::load_user(&first->flags)) == 0) {
      uint32_t k = complete_nops(pending < max ? pending : max);
      r.consumed = k;
      pending -= k;
    }
  }
  while (r.consumed < max && pending > 0) {
    uint32_t used = cq_tail_ - cq_head_valid_ + cq_reserved_;
    if (used >= abi::CQ_ENTRIES) {  // no guaranteed CQ slot: leave the SQE queued
      hdr.cq_full_stalls = hdr.cq_full_stalls + 1;
      r.cq_stalled = true;
      break;
    }
    CAPOS_MEASURE_SEG(Fetch);
    abi::CapSqe sqe;
    // Single fetch, inline (eight quadword moves instead of a memcpy call).
    __builtin_memcpy_inline(&sqe, &page_->sq[sq_head_ % abi::SQ_ENTRIES], sizeof(sqe));
    ++sq_head_;
    --pending;
    ++r.consumed;
    ring_detail::store_kernel(&hdr.sq_head, sq_head_);
    abi::CapCqe cqe{};
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

}  // namespace capos
