// lib/net/frame_ring: the rings vnetd and netd share. Frames go through
// in order, a full ring refuses, and a hostile peer's indices and lengths
// are refused without wedging the ring or reading past a slot; a model
// test runs random pushes and pops against a queue.
#include "lib/net/frame_ring.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>
#include <vector>

namespace capos::net {
namespace {

struct Rings {
  std::unique_ptr<NicRings> r{new NicRings{}};
  Rings() { init_rings(*r); }
  RingProducer producer() { return RingProducer(r->rx_head, r->rx_tail, r->rx); }
  RingConsumer consumer() { return RingConsumer(r->rx_head, r->rx_tail, r->rx); }
};

std::vector<uint8_t> frame(size_t n, uint8_t seed) {
  std::vector<uint8_t> f(n);
  for (size_t i = 0; i < n; ++i) f[i] = uint8_t(seed + i * 31);
  return f;
}

TEST(NetFrameRing, FramesArriveInOrderAndAFullRingRefuses) {
  Rings s;
  EXPECT_TRUE(rings_valid(*s.r));
  auto p = s.producer();
  auto c = s.consumer();
  EXPECT_TRUE(c.empty());
  for (uint32_t i = 0; i < RING_SLOTS; ++i) {
    auto f = frame(60 + i, uint8_t(i));
    ASSERT_TRUE(p.push(Bytes(f.data(), f.size())).ok()) << i;
  }
  auto extra = frame(60, 0);
  auto full = p.push(Bytes(extra.data(), extra.size()));
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error(), Err::Overloaded);
  uint8_t out[ETH_MAX_FRAME];
  for (uint32_t i = 0; i < RING_SLOTS; ++i) {
    auto n = c.pop(MutBytes(out, sizeof(out)));
    ASSERT_TRUE(n.ok()) << i;
    auto want = frame(60 + i, uint8_t(i));
    ASSERT_EQ(*n, want.size());
    EXPECT_EQ(0, memcmp(out, want.data(), want.size()));
  }
  auto none = c.pop(MutBytes(out, sizeof(out)));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error(), Err::NotFound);
  EXPECT_TRUE(p.push(Bytes(extra.data(), extra.size())).ok());  // room again
}

TEST(NetFrameRing, BadFramesAreRefusedAtThePush) {
  Rings s;
  auto p = s.producer();
  auto big = frame(ETH_MAX_FRAME + 1, 1);
  auto r = p.push(Bytes(big.data(), big.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::InvalidArgument);
  r = p.push(Bytes());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::InvalidArgument);
  EXPECT_TRUE(s.consumer().empty());
}

TEST(NetFrameRing, HostileProducerIsRefusedAndTheRingKeepsWorking) {
  Rings s;
  auto c = s.consumer();
  uint8_t out[ETH_MAX_FRAME];
  // A tail claiming more frames than slots.
  s.r->rx_tail.value = RING_SLOTS + 5;
  auto r = c.pop(MutBytes(out, sizeof(out)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::Corrupt);
  // One frame with an impossible length, then a good one: the bad slot is
  // skipped, the good frame still arrives.
  s.r->rx_tail.value = 0;
  auto p = s.producer();
  auto good = frame(100, 7);
  ASSERT_TRUE(p.push(Bytes(good.data(), good.size())).ok());
  ASSERT_TRUE(p.push(Bytes(good.data(), good.size())).ok());
  s.r->rx[0][0] = 0xFF;  // length 0xFF.. > ETH_MAX_FRAME
  r = c.pop(MutBytes(out, sizeof(out)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::Corrupt);
  r = c.pop(MutBytes(out, sizeof(out)));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, good.size());
  // A zero length is refused too.
  ASSERT_TRUE(p.push(Bytes(good.data(), good.size())).ok());
  s.r->rx[2][0] = 0;
  s.r->rx[2][1] = 0;
  r = c.pop(MutBytes(out, sizeof(out)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::Corrupt);
}

TEST(NetFrameRing, HostileConsumerHeadIsRefused) {
  Rings s;
  auto p = s.producer();
  s.r->rx_head.value = 0x80000000u;  // the consumer "freed" slots never used
  auto f = frame(64, 3);
  auto r = p.push(Bytes(f.data(), f.size()));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::Corrupt);
}

TEST(NetFrameRing, ForeignRegionIsNotValid) {
  std::unique_ptr<NicRings> r(new NicRings{});
  EXPECT_FALSE(rings_valid(*r));
  init_rings(*r);
  r->slots = RING_SLOTS * 2;
  EXPECT_FALSE(rings_valid(*r));
}

// Random pushes and pops (and consumers re-created midway, as after a
// driver restart re-attaches) against a std::deque; indices wrap around
// 2^32 from a start near the top.
TEST(NetFrameRing, ModelRandomTraffic) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    std::mt19937 rng(seed);
    Rings s;
    s.r->rx_head.value = s.r->rx_tail.value = 0xFFFFFFF0u;
    auto p = s.producer();
    std::unique_ptr<RingConsumer> c(new RingConsumer(s.consumer()));
    std::deque<std::vector<uint8_t>> model;
    uint8_t out[ETH_MAX_FRAME];
    for (int step = 0; step < 3000; ++step) {
      uint32_t op = rng() % 10;
      if (op < 5) {
        auto f = frame(1 + rng() % ETH_MAX_FRAME, uint8_t(rng()));
        auto r = p.push(Bytes(f.data(), f.size()));
        if (model.size() == RING_SLOTS) {
          ASSERT_FALSE(r.ok());
          ASSERT_EQ(r.error(), Err::Overloaded);
        } else {
          ASSERT_TRUE(r.ok());
          model.push_back(f);
        }
      } else if (op < 9) {
        auto r = c->pop(MutBytes(out, sizeof(out)));
        if (model.empty()) {
          ASSERT_FALSE(r.ok());
          ASSERT_EQ(r.error(), Err::NotFound);
        } else {
          ASSERT_TRUE(r.ok());
          ASSERT_EQ(*r, model.front().size());
          ASSERT_EQ(0, memcmp(out, model.front().data(), *r));
          model.pop_front();
        }
      } else {
        c.reset(new RingConsumer(s.consumer()));  // picks up the published head
      }
      ASSERT_EQ(c->empty(), model.empty());
    }
  }
}

}  // namespace
}  // namespace capos::net
