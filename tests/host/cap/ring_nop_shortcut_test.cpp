// cap_enter's NOP shortcut (RingEngine::complete_nop_batch) against the
// generic drain: two engines driven through the same random history, then
// one takes the shortcut and the other drains. Where the shortcut acts, the
// pages, results and what the handler sees must match the drain's exactly;
// where it declines, it must have changed nothing. A model says when it
// has to act, so a shortcut that always declined would fail too.
#include "kernel/ring/ring_engine.h"
#include "tests/host/cap/ring_test_handler.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

using namespace capos;
using namespace capos::abi;

namespace {

using Handler = capos::test::RecordingSqeHandler;  // CALLs pending, the rest result 7

struct Side {
  std::unique_ptr<RingPage> page = std::make_unique<RingPage>();
  RingEngine eng{page.get()};
  Handler h;
  uint32_t pending_calls = 0;
  Side() { eng.init_page(); }
};

struct Rng {
  uint64_t s;
  uint64_t operator()() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

// One step of ordinary use, applied identically to both sides.
void submit(Side& x, uint8_t op, uint8_t flags, uint64_t user_data) {
  auto& h = x.page->header;
  CapSqe& s = x.page->sq[h.sq_tail % SQ_ENTRIES];
  s = CapSqe{};
  s.opcode = op;
  s.flags = flags;
  s.user_data = user_data;
  ++h.sq_tail;
}

::testing::AssertionResult same_page(const Side& a, const Side& b) {
  auto* x = reinterpret_cast<const uint8_t*>(a.page.get());
  auto* y = reinterpret_cast<const uint8_t*>(b.page.get());
  for (size_t i = 0; i < sizeof(RingPage); ++i)
    if (x[i] != y[i]) return ::testing::AssertionFailure() << "pages differ at byte " << i;
  return ::testing::AssertionSuccess();
}

}  // namespace

TEST(RingNopShortcut, MatchesTheDrainOrChangesNothing) {
  Rng rng{0x2545f4914f6cdd1dull};
  uint64_t ud = 0;
  uint32_t acted_all = 0, acted_part = 0, declined = 0;
  for (int round = 0; round < 20000; ++round) {
    Side a, b;
    uint32_t valid_head = 0;  // the last cq_head the engines validated (model)
    // A short random history: batches drained, completions read, pending
    // operations completed or dropped.
    int steps = static_cast<int>(rng() % 6);
    for (int st = 0; st < steps; ++st) {
      uint32_t queued = a.page->header.sq_tail - a.page->header.sq_head;
      uint32_t n = static_cast<uint32_t>(rng() % (SQ_ENTRIES - queued + 1));
      for (uint32_t i = 0; i < n; ++i) {
        uint8_t op = rng() % 4 == 0 ? (a.pending_calls < 8 ? CAP_OP_CALL : CAP_OP_RELEASE) : CAP_OP_NOP;
        submit(a, op, 0, ud);
        submit(b, op, 0, ud++);
      }
      auto ra = a.eng.drain(a.h);
      auto rb = b.eng.drain(b.h);
      ASSERT_EQ(ra.consumed, rb.consumed);
      for (const CapSqe& s : a.h.seen) a.pending_calls += s.opcode == CAP_OP_CALL;
      b.pending_calls = a.pending_calls;
      a.h.seen.clear();
      b.h.seen.clear();
      uint32_t ready = a.eng.cq_ready();
      ASSERT_EQ(b.eng.cq_ready(), ready);
      valid_head = a.page->header.cq_head;  // both engines just validated it
      uint32_t reap = static_cast<uint32_t>(rng() % (ready + 1));
      a.page->header.cq_head += reap;
      b.page->header.cq_head += reap;
      if (a.pending_calls && rng() % 2) {
        CapCqe c{};
        c.user_data = ud++;
        a.eng.post_reserved(c);
        b.eng.post_reserved(c);
        --a.pending_calls;
        --b.pending_calls;
      }
    }
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
      submit(a, op, flags, ud);
      submit(b, op, flags, ud++);
    }
    // The engine's own indices: the header holds them until userspace
    // scribbles (every drain, post and NOP run publishes them).
    const uint32_t k_sq_head = a.page->header.sq_head;
    const uint32_t k_cq_tail = a.page->header.cq_tail;
    auto scribble = [&](auto mutate) {
      mutate(*a.page);
      mutate(*b.page);
    };
    switch (rng() % 12) {
      case 0: {
        uint32_t t = static_cast<uint32_t>(rng());
        scribble([&](RingPage& p) { p.header.sq_tail += t; });
        break;
      }
      case 1: {
        uint32_t h = static_cast<uint32_t>(rng() % 80) - 40;
        scribble([&](RingPage& p) { p.header.cq_head += h; });
        break;
      }
      case 2: {
        uint32_t s = static_cast<uint32_t>(rng() % 8);
        scribble([&](RingPage& p) { p.header.status = s; });
        break;
      }
      case 3: {
        uint32_t v = static_cast<uint32_t>(rng());
        scribble([&](RingPage& p) {
          p.header.sq_head = v;
          p.header.cq_tail = v + 1;
        });
        break;
      }
      default:
        break;
    }
    // cap_enter's min_complete (0 for CAP_ENTER_NO_WAIT): mostly what a
    // batch of NOPs satisfies, now and then more than it can.
    uint32_t min_ready = static_cast<uint32_t>(rng() % 4 ? rng() % 3 : rng() % (CQ_ENTRIES + 1));
    ASSERT_TRUE(same_page(a, b));

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
    bool must_act = pend >= 1 && pend <= SQ_BATCH_MAX && run >= 1 && posted <= k_cq_tail - valid_head &&
                    (hdr.status & (RING_STATUS_SQ_CORRUPT | RING_STATUS_CQ_CORRUPT)) == 0 &&
                    posted + a.pending_calls + pend <= CQ_ENTRIES && posted + pend >= min_ready;

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
      ASSERT_TRUE(same_page(a, b));
      auto ra = a.eng.drain(a.h);
      auto rb = b.eng.drain(b.h);
      ASSERT_EQ(ra.consumed, rb.consumed);
      ASSERT_EQ(ra.ready, rb.ready);
      ASSERT_EQ(ra.sq_corrupt, rb.sq_corrupt);
      ASSERT_EQ(ra.cq_corrupt, rb.cq_corrupt);
      ASSERT_EQ(ra.cq_stalled, rb.cq_stalled);
      ASSERT_EQ(a.h.seen.size(), b.h.seen.size());
      ASSERT_TRUE(same_page(a, b));
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
      ASSERT_TRUE(same_page(a, b));
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
      ASSERT_TRUE(same_page(a, b));
    }
  }
  // Every outcome happened often enough to mean something.
  EXPECT_GT(acted_all, 2000u);
  EXPECT_GT(acted_part, 200u);
  EXPECT_GT(declined, 2000u);
}
