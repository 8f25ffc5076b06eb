// cap_enter's NOP shortcut (RingEngine::complete_nop_batch) against the
// generic drain: two engines driven through the same random history, then
// one takes the shortcut and the other drains. Where the shortcut acts, the
// pages, results and what the handler sees must match the drain's exactly;
// where it declines, it must have changed nothing. A model says when it
// has to act, so a shortcut that always declined would fail too.
#include "kernel/ring/ring_engine.h"
#include "tests/host/cap/ring_twin.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

using namespace capos;
using namespace capos::abi;

using capos::test::RingTwin;
using capos::test::XorShift;

TEST(RingNopShortcut, MatchesTheDrainOrChangesNothing) {
  XorShift rng{0x2545f4914f6cdd1dull};
  uint64_t ud = 0;
  uint32_t acted_all = 0, acted_part = 0, declined = 0;
  for (int round = 0; round < 20000; ++round) {
    RingTwin t;
    auto& a = t.a;
    auto& b = t.b;
    ASSERT_NO_FATAL_FAILURE(t.history(rng, ud, [](XorShift& r, uint32_t pending) -> uint8_t {
      return r() % 4 == 0 ? (pending < 8 ? CAP_OP_CALL : CAP_OP_RELEASE) : CAP_OP_NOP;
    }));
    // Then a batch of mostly plain NOPs, with now and then a flagged NOP,
    // a CALL or a RELEASE among them, and userspace scribbling on the
    // indices and the status word.
    uint32_t queued = a.page->header.sq_tail - a.page->header.sq_head;
    uint32_t n = static_cast<uint32_t>(rng() % (SQ_ENTRIES - queued + 1));
    bool mixed = rng() % 2;
    for (uint32_t i = 0; i < n; ++i) {
      uint64_t k = mixed ? rng() % 12 : 3;
      uint8_t op = k == 0 ? CAP_OP_CALL : k == 1 ? CAP_OP_RELEASE : CAP_OP_NOP;
      uint8_t flags = k == 2 ? 1 : 0;
      t.submit_both(op, flags, ud++);
    }
    // The engine's own indices: the header holds them until userspace
    // scribbles (every drain, post and NOP run publishes them).
    const uint32_t k_sq_head = a.page->header.sq_head;
    const uint32_t k_cq_tail = a.page->header.cq_tail;
    t.scribble(rng, 12, [](XorShift& r) { return r(); });
    // cap_enter's min_complete (0 for CAP_ENTER_NO_WAIT): mostly what a
    // batch of NOPs satisfies, now and then more than it can.
    uint32_t min_ready = static_cast<uint32_t>(rng() % 4 ? rng() % 3 : rng() % (CQ_ENTRIES + 1));
    ASSERT_TRUE(t.same_page());

    // When the shortcut has to act (the model), from the page as userspace
    // left it and the engine's indices.
    const auto& hdr = a.page->header;
    uint32_t pend = hdr.sq_tail - k_sq_head;
    uint32_t posted = k_cq_tail - hdr.cq_head;
    uint32_t run = 0;  // plain NOPs from sq_head
    while (run < pend && run < SQ_ENTRIES) {
      const CapSqe& q = a.page->sq[(k_sq_head + run) % SQ_ENTRIES];
      if (q.opcode != CAP_OP_NOP || q.flags) break;
      ++run;
    }
    bool must_act = pend >= 1 && pend <= SQ_BATCH_MAX && run >= 1 && posted <= k_cq_tail - t.valid_head &&
                    (hdr.status & (RING_STATUS_SQ_CORRUPT | RING_STATUS_CQ_CORRUPT)) == 0 &&
                    posted + t.pending_calls + pend <= CQ_ENTRIES && posted + pend >= min_ready;

    RingEngine::NopPass got = a.eng.complete_nop_batch(min_ready);
    ASSERT_EQ(got.consumed != 0, must_act) << "round " << round;
    if (must_act) {
      ASSERT_EQ(got.consumed, run);
      ASSERT_EQ(got.all, run == pend);
      ASSERT_EQ(got.ready, posted + run);
    }
    if (got.consumed == 0) {
      ++declined;
      // Nothing changed: the page is byte for byte what b has, and the
      // generic drain then does exactly what it does on b.
      ASSERT_TRUE(t.same_page());
      auto ra = a.eng.drain(a.h);
      auto rb = b.eng.drain(b.h);
      ASSERT_EQ(ra.consumed, rb.consumed);
      ASSERT_EQ(ra.ready, rb.ready);
      ASSERT_EQ(ra.sq_corrupt, rb.sq_corrupt);
      ASSERT_EQ(ra.cq_corrupt, rb.cq_corrupt);
      ASSERT_EQ(ra.cq_stalled, rb.cq_stalled);
      ASSERT_EQ(a.h.seen.size(), b.h.seen.size());
      ASSERT_TRUE(t.same_page());
      continue;
    }
    // It acted: the drain on b completes the same plain NOPs first.
    auto rb = b.eng.drain(b.h);
    ASSERT_FALSE(rb.sq_corrupt);
    ASSERT_FALSE(rb.cq_corrupt);
    ASSERT_GE(rb.consumed, got.consumed);
    if (got.all) {
      ++acted_all;
      ASSERT_EQ(rb.consumed, got.consumed);
      ASSERT_EQ(rb.ready, got.ready);
      ASSERT_GE(got.ready, min_ready);  // cap_enter returns at once
      ASSERT_FALSE(rb.cq_stalled);
      ASSERT_TRUE(b.h.seen.empty());  // plain NOPs only: the handler saw none
      ASSERT_TRUE(t.same_page());
    } else {
      ++acted_part;
      // The rest goes to cap_enter's drain, which must pick up where b's
      // drain handed over to the handler.
      auto ra = a.eng.drain(a.h);
      ASSERT_EQ(got.consumed + ra.consumed, rb.consumed);
      ASSERT_EQ(ra.ready, rb.ready);
      ASSERT_EQ(ra.cq_stalled, rb.cq_stalled);
      ASSERT_EQ(a.h.seen.size(), b.h.seen.size());
      for (size_t i = 0; i < a.h.seen.size(); ++i) ASSERT_EQ(a.h.seen[i].user_data, b.h.seen[i].user_data);
      ASSERT_TRUE(t.same_page());
    }
  }
  // Every outcome happened often enough to mean something.
  EXPECT_GT(acted_all, 2000u);
  EXPECT_GT(acted_part, 200u);
  EXPECT_GT(declined, 2000u);
}
