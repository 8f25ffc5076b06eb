#include "kernel/ring/ring_engine.h"

#include <gtest/gtest.h>

#include <memory>
#include <vector>

using namespace capos;
using namespace capos::abi;

namespace {

// Completes NOPs with result 7, leaves CALLs pending, echoes opcode.
struct Handler final : SqeHandler {
  std::vector<CapSqe> seen;
  Outcome handle(const CapSqe& sqe, CapCqe* cqe) override {
    seen.push_back(sqe);
    if (sqe.opcode == CAP_OP_CALL) return Outcome::Pending;
    cqe->result = 7;
    return Outcome::Completed;
  }
};

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
  for (uint64_t i = 0; i < 10; ++i) f.submit(CAP_OP_NOP, 100 + i);
  auto r = f.eng.drain(h);
  EXPECT_EQ(r.consumed, 10u);
  auto cqes = f.reap();
  ASSERT_EQ(cqes.size(), 10u);
  for (uint64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(cqes[i].user_data, 100 + i);
    EXPECT_EQ(cqes[i].result, 7);
  }
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
