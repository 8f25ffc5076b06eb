// The endpoint fast path's fetch (RingEngine::peek_count) against a model
// of what it must answer and of what it may change: two engines driven
// through the same random history, then one peeks. Its answer must be the
// model's, its page must differ from the other's only by what drain would
// also write (the kernel-owned indices rewritten, the CQ-corrupt bit set
// for a corrupt cq_head or cleared for a valid one), and the generic drain
// afterwards must do on both exactly the same (the fast path's decline).
#include "kernel/ring/ring_engine.h"
#include "tests/host/cap/ring_twin.h"

#include <gtest/gtest.h>

#include <memory>

using namespace capos;
using namespace capos::abi;

using capos::test::RingTwin;
using capos::test::XorShift;

TEST(RingEngine, PeekCountMatchesTheModelAndTheDrain) {
  XorShift rng{0x9e3779b97f4a7c15ull};
  uint64_t ud = 0;
  uint32_t answered = 0, declined_late = 0, declined_early = 0;
  const uint8_t ops[] = {CAP_OP_NOP, CAP_OP_CALL, CAP_OP_RETURN, CAP_OP_RECV, CAP_OP_RELEASE, 40, 200};
  for (int round = 0; round < 20000; ++round) {
    RingTwin t;
    auto& a = t.a;
    auto& b = t.b;
    ASSERT_NO_FATAL_FAILURE(t.history(rng, ud, [](XorShift& r, uint32_t pending) -> uint8_t {
      return r() % 4 == 0 && pending < 8 ? CAP_OP_CALL : CAP_OP_NOP;
    }));
    // A batch of the fast path's shapes and others, then userspace
    // scribbling on the indices and the status word.
    uint32_t queued = a.page->header.sq_tail - a.page->header.sq_head;
    uint32_t n = static_cast<uint32_t>(rng() % 3 ? rng() % 5 : rng() % (SQ_ENTRIES - queued + 1));
    if (queued + n > SQ_ENTRIES) n = SQ_ENTRIES - queued;
    for (uint32_t i = 0; i < n; ++i) {
      uint8_t op = ops[rng() % 7];
      t.submit_both(op, 0, ud++);
    }
    const uint32_t k_sq_head = a.page->header.sq_head;
    const uint32_t k_cq_tail = a.page->header.cq_tail;
    t.scribble(rng, 10, [](XorShift& r) { return r() % 2 ? r() : r() % 8; });
    uint32_t max = 1 + static_cast<uint32_t>(rng() % 5);
    uint32_t mask = rng() % 4 ? (1u << CAP_OP_CALL | 1u << CAP_OP_RETURN | 1u << CAP_OP_RELEASE)
                              : static_cast<uint32_t>(rng());
    ASSERT_TRUE(t.same_page());

    // The model: the quick look (pending count, first opcode), then the
    // checks on the validated state.
    const auto hdr = a.page->header;
    uint32_t pend = hdr.sq_tail - k_sq_head;
    uint8_t op0 = a.page->sq[k_sq_head % SQ_ENTRIES].opcode;
    bool looked = pend >= 1 && pend <= max && op0 < 32 && (mask >> op0 & 1);
    bool head_ok = hdr.cq_head - t.valid_head <= k_cq_tail - t.valid_head;
    uint32_t status_after = hdr.status;
    if (looked) status_after = head_ok ? status_after & ~RING_STATUS_CQ_CORRUPT : status_after | RING_STATUS_CQ_CORRUPT;
    bool must_answer = looked && head_ok && !(hdr.status & RING_STATUS_SQ_CORRUPT) &&
                       k_cq_tail - hdr.cq_head + t.pending_calls + pend <= CQ_ENTRIES;

    uint32_t got = a.eng.peek_count(max, mask);
    ASSERT_EQ(got, must_answer ? pend : 0u) << "round " << round;
    if (got) ++answered;
    else if (looked) ++declined_late;
    else ++declined_early;
    // What it may have changed, applied to b by hand.
    if (looked) {
      RingPage& p = *b.page;
      p.header.sq_head = k_sq_head;
      p.header.cq_tail = k_cq_tail;
      if (!head_ok && !(p.header.status & RING_STATUS_CQ_CORRUPT)) p.header.corrupt_events = p.header.corrupt_events + 1;
      p.header.status = status_after;
    }
    ASSERT_TRUE(t.same_page()) << "round " << round;
    // The validated head moved exactly when it was valid.
    uint32_t bound_head = looked && head_ok ? hdr.cq_head : t.valid_head;
    ASSERT_EQ(a.eng.cq_ready_bound(), k_cq_tail - bound_head);
    // Declined or not, the generic drain then does on both the same.
    auto ra = a.eng.drain(a.h);
    auto rb = b.eng.drain(b.h);
    ASSERT_EQ(ra.consumed, rb.consumed);
    ASSERT_EQ(ra.ready, rb.ready);
    ASSERT_EQ(ra.sq_corrupt, rb.sq_corrupt);
    ASSERT_EQ(ra.cq_corrupt, rb.cq_corrupt);
    ASSERT_EQ(ra.cq_stalled, rb.cq_stalled);
    ASSERT_EQ(a.h.seen.size(), b.h.seen.size());
    ASSERT_TRUE(t.same_page()) << "round " << round;
  }
  EXPECT_GT(answered, 1000u);
  EXPECT_GT(declined_late, 200u);
  EXPECT_GT(declined_early, 2000u);
}
