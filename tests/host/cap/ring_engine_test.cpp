#include "kernel/ring/ring_engine.h"
#include "tests/host/cap/ring_test_handler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

using namespace capos;
using namespace capos::abi;

namespace {

using Handler = capos::test::RecordingSqeHandler;  // CALLs pending, the rest result 7

struct Fixture {
  std::unique_ptr<RingPage> page = std::make_unique<RingPage>();
  RingEngine eng{page.get()};
  Fixture() { eng.init_page(); }
  void submit(uint8_t op, uint64_t user_data) {
    auto& h = page->header;
    CapSqe& s = page->sq[h.sq_tail % SQ_ENTRIES];
    s = CapSqe{};
    s.opcode = op;
    s.user_data = user_data;
    ++h.sq_tail;
  }
  std::vector<CapCqe> reap() {
    std::vector<CapCqe> out;
    auto& h = page->header;
    while (h.cq_head != h.cq_tail) out.push_back(page->cq[h.cq_head++ % CQ_ENTRIES]);
    return out;
  }
};

TEST(RingEngine, ConstantsAndLayout) {
  Fixture f;
  EXPECT_EQ(f.page->header.sq_entries, SQ_ENTRIES);
  EXPECT_EQ(f.page->header.cq_entries, CQ_ENTRIES);
  EXPECT_EQ(f.page->header.abi_version, RING_ABI_VERSION);
  EXPECT_LE(sizeof(RingPage), 4096u);
}

TEST(RingEngine, NopsCompleteInOrderWithUserData) {
  Fixture f;
  Handler h;
  // Stale bytes in the CQ slots: an inline NOP completion writes every field.
  memset(f.page->cq, 0xa5, sizeof(f.page->cq));
  for (uint64_t i = 0; i < 10; ++i) f.submit(CAP_OP_NOP, 100 + i);
  auto r = f.eng.drain(h);
  EXPECT_EQ(r.consumed, 10u);
  EXPECT_EQ(r.ready, 10u);
  EXPECT_TRUE(h.seen.empty());  // plain NOPs never reach the handler
  EXPECT_EQ(f.page->header.sq_head, 10u);
  EXPECT_EQ(f.page->header.cq_tail, 10u);
  auto cqes = f.reap();
  ASSERT_EQ(cqes.size(), 10u);
  for (uint64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(cqes[i].user_data, 100 + i);
    EXPECT_EQ(cqes[i].result, 0);
    EXPECT_EQ(cqes[i].flags, 0u);
    EXPECT_EQ(cqes[i].call_id, 0u);
    EXPECT_EQ(cqes[i].cap_count, 0u);
    EXPECT_EQ(cqes[i].aux, 0u);
  }
}

// A NOP with flags is not a plain NOP: the handler gets it (and refuses it
// in the kernel's dispatcher); so do NOPs queued behind any other SQE.
TEST(RingEngine, MixedBatchKeepsOrderAndHandsTheRestToTheHandler) {
  Fixture f;
  Handler h;
  f.submit(CAP_OP_NOP, 1);
  f.submit(CAP_OP_NOP, 2);
  f.submit(CAP_OP_RELEASE, 3);  // completed by the handler (result 7)
  f.submit(CAP_OP_NOP, 4);      // behind a handled SQE: through the handler
  f.submit(CAP_OP_NOP, 5);
  f.page->sq[4].flags = 1;      // flagged NOP
  f.submit(CAP_OP_CALL, 6);     // pending
  auto r = f.eng.drain(h);
  EXPECT_EQ(r.consumed, 6u);
  EXPECT_EQ(r.ready, 5u);
  EXPECT_EQ(f.eng.reserved(), 1u);
  ASSERT_EQ(h.seen.size(), 4u);
  EXPECT_EQ(h.seen[0].user_data, 3u);
  EXPECT_EQ(h.seen[1].user_data, 4u);
  EXPECT_EQ(h.seen[2].user_data, 5u);
  EXPECT_EQ(h.seen[2].flags, 1u);
  EXPECT_EQ(h.seen[3].user_data, 6u);
  auto cqes = f.reap();
  ASSERT_EQ(cqes.size(), 5u);
  int32_t want_result[] = {0, 0, 7, 7, 7};
  for (uint32_t i = 0; i < 5; ++i) {
    EXPECT_EQ(cqes[i].user_data, i + 1);
    EXPECT_EQ(cqes[i].result, want_result[i]);
  }
}

TEST(RingEngine, NopRunStopsAtTheLastFreeCqSlot) {
  Fixture f;
  Handler h;
  for (int i = 0; i < 16; ++i) f.submit(CAP_OP_CALL, i);  // 30 reserved slots
  ASSERT_EQ(f.eng.drain(h).consumed, 16u);
  for (int i = 0; i < 14; ++i) f.submit(CAP_OP_CALL, 16 + i);
  ASSERT_EQ(f.eng.drain(h).consumed, 14u);
  for (int i = 0; i < 4; ++i) f.submit(CAP_OP_NOP, 100 + i);
  auto r = f.eng.drain(h);
  EXPECT_EQ(r.consumed, 2u);
  EXPECT_TRUE(r.cq_stalled);
  EXPECT_EQ(f.page->header.cq_full_stalls, 1u);
  EXPECT_TRUE(f.eng.sq_pending());
  auto cqes = f.reap();
  ASSERT_EQ(cqes.size(), 2u);
  EXPECT_EQ(cqes[1].user_data, 101u);
  for (int i = 0; i < 2; ++i) f.eng.drop_reservation();
  EXPECT_EQ(f.eng.drain(h).consumed, 2u);
  EXPECT_EQ(f.reap().at(1).user_data, 103u);
}

// Model check: random batches of plain NOPs, flagged NOPs, synchronous and
// pending SQEs, random batch bounds and random reaping. The CQ never loses
// or overwrites a completion, completions of synchronous work appear in
// submission order, and exactly the SQEs that are not a leading run of
// plain NOPs reach the handler, in order.
TEST(RingEngine, RandomBatchesMatchTheModel) {
  Fixture f;
  Handler h;
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  auto next = [&] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  uint64_t ud = 0;
  std::vector<uint64_t> queued;        // user_data in SQ order, not yet consumed
  std::vector<uint64_t> want_cq;       // synchronous completions expected, in order
  std::vector<uint64_t> want_handled;  // SQEs the handler must see, in order
  std::vector<uint8_t> kind;           // by user_data: 0 plain NOP, 1 flagged NOP, 2 sync, 3 pending
  std::vector<int32_t> want_result;    // by user_data: 0 completed inline, 7 by the handler
  uint32_t pending_calls = 0;
  size_t handled_seen = 0;
  std::vector<uint64_t> got_cq;
  for (int step = 0; step < 20000; ++step) {
    uint32_t room = SQ_ENTRIES - static_cast<uint32_t>(queued.size());
    uint32_t n = room ? static_cast<uint32_t>(next() % (room + 1)) : 0;
    for (uint32_t i = 0; i < n; ++i) {
      uint8_t k = static_cast<uint8_t>(next() % 8);
      k = k < 5 ? 0 : k - 4;  // mostly plain NOPs
      if (k == 3 && pending_calls >= 8) k = 2;
      f.submit(k == 3 ? CAP_OP_CALL : k == 2 ? CAP_OP_RELEASE : CAP_OP_NOP, ud);
      if (k == 1) f.page->sq[(f.page->header.sq_tail - 1) % SQ_ENTRIES].flags = 1;
      kind.push_back(k);
      want_result.push_back(7);
      queued.push_back(ud++);
    }
    uint32_t max = 1 + static_cast<uint32_t>(next() % SQ_BATCH_MAX);
    uint32_t free_slots = CQ_ENTRIES - f.eng.cq_ready() - f.eng.reserved();
    auto r = f.eng.drain(h, max);
    uint32_t expect = std::min<uint32_t>({max, static_cast<uint32_t>(queued.size()), free_slots});
    ASSERT_EQ(r.consumed, expect);
    bool leading = true;  // the run of plain NOPs at the head of this drain
    for (uint32_t i = 0; i < r.consumed; ++i) {
      uint64_t u = queued[i];
      if (kind[u] != 0) leading = false;
      if (!leading) want_handled.push_back(u);
      else want_result[u] = 0;
      if (kind[u] == 3) ++pending_calls;
      else want_cq.push_back(u);
    }
    queued.erase(queued.begin(), queued.begin() + r.consumed);
    ASSERT_EQ(r.ready, f.eng.cq_ready());
    ASSERT_EQ(h.seen.size(), want_handled.size());
    for (; handled_seen < h.seen.size(); ++handled_seen) ASSERT_EQ(h.seen[handled_seen].user_data, want_handled[handled_seen]);
    if (next() % 3 == 0) {
      for (auto& c : f.reap()) {
        if (kind[c.user_data] == 3) continue;
        ASSERT_EQ(c.result, want_result[c.user_data]);
        got_cq.push_back(c.user_data);
      }
    }
    if (pending_calls && next() % 4 == 0) {  // a pending op vanishes with its process
      f.eng.drop_reservation();
      --pending_calls;
    }
  }
  for (auto& c : f.reap()) {
    if (kind[c.user_data] == 3) continue;
    ASSERT_EQ(c.result, want_result[c.user_data]);
    got_cq.push_back(c.user_data);
  }
  ASSERT_EQ(got_cq.size(), want_cq.size());  // every synchronous completion arrived, once
  for (size_t i = 0; i < got_cq.size(); ++i) ASSERT_EQ(got_cq[i], want_cq[i]);
  EXPECT_GT(got_cq.size(), 10000u);
}

TEST(RingEngine, BatchBoundIsHonoured) {
  Fixture f;
  Handler h;
  for (int i = 0; i < 16; ++i) f.submit(CAP_OP_NOP, i);
  EXPECT_EQ(f.eng.drain(h, 5).consumed, 5u);
  EXPECT_TRUE(f.eng.sq_pending());
  EXPECT_EQ(f.eng.drain(h).consumed, 11u);
  EXPECT_FALSE(f.eng.sq_pending());
}

TEST(RingEngine, CorruptSqTailConsumesNothingAndRecovers) {
  Fixture f;
  Handler h;
  f.page->header.sq_tail = 1000;  // far beyond sq_head + SQ_ENTRIES
  auto r = f.eng.drain(h);
  EXPECT_TRUE(r.sq_corrupt);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_TRUE(f.page->header.status & RING_STATUS_SQ_CORRUPT);
  EXPECT_EQ(f.page->header.corrupt_events, 1u);
  EXPECT_TRUE(h.seen.empty());
  // Userspace repairs the tail from the kernel-published head.
  f.page->header.sq_tail = f.page->header.sq_head;
  f.submit(CAP_OP_NOP, 1);
  r = f.eng.drain(h);
  EXPECT_FALSE(r.sq_corrupt);
  EXPECT_EQ(r.consumed, 1u);
  EXPECT_FALSE(f.page->header.status & RING_STATUS_SQ_CORRUPT);
}

TEST(RingEngine, KernelOwnedWordsAreRewritten) {
  Fixture f;
  Handler h;
  f.submit(CAP_OP_NOP, 1);
  f.eng.drain(h);
  f.page->header.sq_head = 12345;
  f.page->header.cq_tail = 999;
  f.eng.drain(h);
  EXPECT_EQ(f.page->header.sq_head, 1u);
  EXPECT_EQ(f.page->header.cq_tail, 1u);
}

TEST(RingEngine, FullCqStallsInsteadOfOverwriting) {
  Fixture f;
  Handler h;
  // Fill the CQ completely without reaping (two batches of 16).
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 16; ++i) f.submit(CAP_OP_NOP, round * 16 + i);
    auto r = f.eng.drain(h);
    EXPECT_EQ(r.consumed, 16u);
    EXPECT_FALSE(r.cq_stalled);
  }
  EXPECT_EQ(f.eng.cq_ready(), CQ_ENTRIES);
  f.submit(CAP_OP_NOP, 999);
  auto stalled = f.eng.drain(h);
  EXPECT_EQ(stalled.consumed, 0u);  // stalls, keeps the SQE queued
  EXPECT_TRUE(stalled.cq_stalled);  // cap_enter blocks instead of spinning on this
  EXPECT_EQ(f.page->header.cq_full_stalls, 1u);
  auto cqes = f.reap();
  ASSERT_EQ(cqes.size(), CQ_ENTRIES);
  for (uint32_t i = 0; i < CQ_ENTRIES; ++i) EXPECT_EQ(cqes[i].user_data, i);  // nothing overwritten
  EXPECT_EQ(f.eng.drain(h).consumed, 1u);
  EXPECT_EQ(f.reap().at(0).user_data, 999u);
}

TEST(RingEngine, PendingOpsReserveCqSlots) {
  Fixture f;
  Handler h;
  for (int i = 0; i < 16; ++i) f.submit(CAP_OP_CALL, i);
  EXPECT_EQ(f.eng.drain(h).consumed, 16u);
  EXPECT_EQ(f.eng.reserved(), 16u);
  for (int i = 0; i < 16; ++i) f.submit(CAP_OP_CALL, 16 + i);
  EXPECT_EQ(f.eng.drain(h).consumed, 16u);
  EXPECT_EQ(f.eng.reserved(), 32u);
  f.submit(CAP_OP_NOP, 77);
  auto stalled = f.eng.drain(h);
  EXPECT_EQ(stalled.consumed, 0u);  // every CQ slot is promised
  EXPECT_TRUE(stalled.cq_stalled);
  CapCqe c{};
  c.user_data = 5;
  f.eng.post_reserved(c);
  f.eng.drop_reservation();
  EXPECT_EQ(f.eng.reserved(), 30u);
  auto cqes = f.reap();
  ASSERT_EQ(cqes.size(), 1u);
  EXPECT_EQ(cqes[0].user_data, 5u);
}

TEST(RingEngine, CorruptCqHeadNeverUnlocksUnreadSlots) {
  Fixture f;
  Handler h;
  for (int i = 0; i < 16; ++i) f.submit(CAP_OP_NOP, i);
  f.eng.drain(h);
  f.page->header.cq_head = 5000;  // claims to have read entries never posted
  EXPECT_EQ(f.eng.cq_ready(), 16u);  // the bogus head is ignored
  EXPECT_TRUE(f.page->header.status & RING_STATUS_CQ_CORRUPT);
  f.page->header.cq_head = 16;
  EXPECT_EQ(f.eng.cq_ready(), 0u);
  EXPECT_FALSE(f.page->header.status & RING_STATUS_CQ_CORRUPT);
}

// The wake-up test's bound (cq_ready_bound, ipc env::wake) against the
// validating count: random posts, reaps, forward head moves, corrupt heads
// (behind the last valid one, past the tail) and validations. The bound is
// never below what cq_ready() then says (a wake-up is never lost), and it
// is exact whenever the last validation found the head valid and
// userspace has not moved it since (the blocked waiter's usual case).
TEST(RingEngine, CqReadyBoundNeverUndercounts) {
  Fixture f;
  Handler h;
  uint32_t rng = 16;
  auto next = [&rng] { return rng = rng * 1103515245u + 12345u, rng >> 8; };
  uint32_t valid_head = 0;  // the head as of the last cq_ready()
  bool moved = false;       // userspace wrote cq_head since then
  for (int step = 0; step < 20000; ++step) {
    auto& hd = f.page->header;
    switch (next() % 6) {
      case 0:
      case 1: {  // post a few completions (NOPs, in the drain)
        uint32_t n = 1 + next() % 4;
        for (uint32_t i = 0; i < n && hd.sq_tail - hd.sq_head < SQ_ENTRIES; ++i) f.submit(CAP_OP_NOP, step);
        f.eng.drain(h);
        break;
      }
      case 2:  // userspace reads some: the head moves forward over posted entries
        if (hd.cq_tail != hd.cq_head) hd.cq_head += 1 + next() % (hd.cq_tail - hd.cq_head);
        moved = true;
        break;
      case 3:  // a corrupt head: behind the last valid one or past the tail
        hd.cq_head = next() % 2 ? valid_head - 1 - next() % 8 : hd.cq_tail + 1 + next() % 8;
        moved = true;
        break;
      case 4:
        hd.cq_head = valid_head + next() % 3;  // maybe back to a valid value
        moved = true;
        break;
      default: {
        uint32_t bound = f.eng.cq_ready_bound();
        uint32_t ready = f.eng.cq_ready();
        ASSERT_LE(ready, bound) << "step " << step;
        if (!moved) ASSERT_EQ(ready, bound) << "step " << step;
        ASSERT_EQ(f.eng.cq_ready_bound(), ready);  // validation brings the bound down to it
        valid_head = hd.cq_tail - ready;
        // A corrupt head left in the page may turn valid once the tail
        // passes it: the bound then over-counts until the next validation.
        moved = (hd.status & RING_STATUS_CQ_CORRUPT) != 0;
        break;
      }
    }
  }
}

TEST(RingEngine, IndexWrapAroundUint32) {
  Fixture f;
  Handler h;
  // Drive the counters across 2^32 quickly by starting the user side
  // near the wrap: consume in many batches.
  for (int i = 0; i < 5000; ++i) {
    f.submit(CAP_OP_NOP, i);
    ASSERT_EQ(f.eng.drain(h).consumed, 1u);
    auto c = f.reap();
    ASSERT_EQ(c.size(), 1u);
    ASSERT_EQ(c[0].user_data, static_cast<uint64_t>(i));
  }
}

}  // namespace
