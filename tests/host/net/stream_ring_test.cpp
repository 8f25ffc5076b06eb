// lib/net/stream_ring: the byte rings netd and a TcpSocket client share.
// Bytes arrive in order across the wrap, a full ring takes nothing, a
// hostile peer's index is refused (nothing moves, nothing outside the
// ring is touched) and the honest side recovers once the index is sane
// again; a model test runs random pushes, pops, partial commits and
// re-attaches against a queue with indices wrapping at 2^32.
#include "lib/net/stream_ring.h"

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <random>
#include <vector>

namespace capos::net {
namespace {

struct Rings {
  std::unique_ptr<StreamRings> r{new StreamRings{}};
  Rings() { init_stream_rings(*r); }
};

std::vector<uint8_t> bytes(size_t n, uint8_t seed) {
  std::vector<uint8_t> f(n);
  for (size_t i = 0; i < n; ++i) f[i] = uint8_t(seed + i * 31);
  return f;
}

TEST(NetStreamRing, BytesArriveInOrderAcrossTheWrap) {
  Rings s;
  ASSERT_TRUE(stream_rings_valid(*s.r));
  EXPECT_EQ(STREAM_RINGS_PAGES, 1 + 2 * STREAM_RING_BYTES / 4096);
  auto p = StreamProducer::rx(*s.r);
  auto c = StreamConsumer::rx(*s.r);
  std::vector<uint8_t> got;
  auto src = bytes(3 * STREAM_RING_BYTES + 123, 7);
  size_t sent = 0;
  std::vector<uint8_t> buf(5000);
  while (got.size() < src.size()) {
    size_t chunk = std::min<size_t>(src.size() - sent, 40000);
    sent += p.push(Bytes(src.data() + sent, chunk)).value();
    size_t n = c.pop(MutBytes(buf.data(), buf.size())).value();
    got.insert(got.end(), buf.begin(), buf.begin() + n);
  }
  EXPECT_EQ(got, src);
  EXPECT_EQ(c.pop(MutBytes(buf.data(), buf.size())).value(), 0u);
}

TEST(NetStreamRing, FullRingTakesNothingUntilRoomIsFreed) {
  Rings s;
  auto p = StreamProducer::tx(*s.r);
  auto c = StreamConsumer::tx(*s.r);
  auto src = bytes(STREAM_RING_BYTES + 10, 1);
  EXPECT_EQ(p.push(Bytes(src.data(), src.size())).value(), STREAM_RING_BYTES);
  EXPECT_EQ(p.push(Bytes(src.data(), 1)).value(), 0u);
  EXPECT_EQ(p.queued().value(), STREAM_RING_BYTES);
  uint8_t out[100];
  EXPECT_EQ(c.pop(MutBytes(out, sizeof(out))).value(), 100u);
  EXPECT_EQ(0, memcmp(out, src.data(), 100));
  EXPECT_EQ(p.push(Bytes(src.data() + STREAM_RING_BYTES, 10)).value(), 10u);
  EXPECT_EQ(p.room().value().size(), 90u);
}

TEST(NetStreamRing, RoomAndReadyAreInPlaceAndCommitIsClipped) {
  Rings s;
  auto p = StreamProducer::rx(*s.r);
  auto c = StreamConsumer::rx(*s.r);
  auto room = p.room().value();
  ASSERT_EQ(room.size(), STREAM_RING_BYTES);
  EXPECT_EQ(room.first.data(), s.r->rx);
  memset(room.first.data(), 0xAB, 10);
  p.commit(10);
  auto ready = c.ready().value();
  ASSERT_EQ(ready.size(), 10u);
  EXPECT_EQ(ready.first[9], 0xAB);
  c.consume(1000);  // more than ready(): clipped
  EXPECT_EQ(__atomic_load_n(&s.r->rx_head.value, __ATOMIC_ACQUIRE), 10u);
  p.room().value();
  p.commit(STREAM_RING_BYTES * 2);  // clipped to the room
  EXPECT_EQ(p.queued().value(), STREAM_RING_BYTES);
}

TEST(NetStreamRing, HostileProducerTailIsRefusedAndTheRingRecovers) {
  Rings s;
  auto p = StreamProducer::rx(*s.r);
  auto c = StreamConsumer::rx(*s.r);
  auto src = bytes(100, 3);
  ASSERT_EQ(p.push(Bytes(src.data(), src.size())).value(), 100u);
  uint32_t honest = s.r->rx_tail.value;
  uint8_t out[200];
  for (uint32_t bad : {STREAM_RING_BYTES + 1, 0xFFFFFFFFu, 0x80000000u}) {
    s.r->rx_tail.value = bad;
    auto r = c.pop(MutBytes(out, sizeof(out)));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), Err::Corrupt);
    EXPECT_EQ(s.r->rx_head.value, 0u);  // nothing consumed
  }
  s.r->rx_tail.value = honest;
  EXPECT_EQ(c.pop(MutBytes(out, sizeof(out))).value(), 100u);
  EXPECT_EQ(0, memcmp(out, src.data(), 100));
}

TEST(NetStreamRing, HostileConsumerHeadIsRefused) {
  Rings s;
  auto p = StreamProducer::tx(*s.r);
  auto src = bytes(64, 9);
  ASSERT_EQ(p.push(Bytes(src.data(), src.size())).value(), 64u);
  for (uint32_t bad : {65u, 1000u, 0xFFFF0000u}) {  // frees bytes never written
    s.r->tx_head.value = bad;
    auto r = p.push(Bytes(src.data(), src.size()));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), Err::Corrupt);
    EXPECT_FALSE(p.room().ok());
    EXPECT_EQ(s.r->tx_tail.value, 64u);  // nothing produced
  }
  s.r->tx_head.value = 64;
  EXPECT_EQ(p.push(Bytes(src.data(), src.size())).value(), 64u);
}

TEST(NetStreamRing, ForeignRegionIsNotValid) {
  Rings s;
  s.r->bytes = 4096;
  EXPECT_FALSE(stream_rings_valid(*s.r));
  init_stream_rings(*s.r);
  s.r->magic = 0;
  EXPECT_FALSE(stream_rings_valid(*s.r));
}

// Random pushes, pops and in-place partial commits/consumes, with both
// ends re-attached now and then (a restarted side picks its index up from
// the region) and indices starting near 2^32 so they wrap.
TEST(NetStreamRing, ModelRandomTraffic) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    Rings s;
    uint32_t start = 0xFFFFFFFFu - seed * 5000;
    s.r->rx_head.value = s.r->rx_tail.value = start;
    std::mt19937 rng(seed);
    auto p = StreamProducer::rx(*s.r);
    auto c = StreamConsumer::rx(*s.r);
    std::deque<uint8_t> model;
    uint8_t next = 0;
    std::vector<uint8_t> buf(STREAM_RING_BYTES + 100);
    for (int step = 0; step < 3000; ++step) {
      switch (rng() % 6) {
        case 0:
        case 1: {
          size_t n = rng() % 20000;
          for (size_t i = 0; i < n; ++i) buf[i] = uint8_t(next + i);
          size_t took = p.push(Bytes(buf.data(), n)).value();
          ASSERT_EQ(took, std::min(n, STREAM_RING_BYTES - model.size()));
          for (size_t i = 0; i < took; ++i) model.push_back(uint8_t(next + i));
          next = uint8_t(next + took);
          break;
        }
        case 2: {
          auto room = p.room().value();
          ASSERT_EQ(room.size(), STREAM_RING_BYTES - model.size());
          size_t n = room.size() ? rng() % (room.size() + 1) : 0;
          for (size_t i = 0; i < n; ++i) {
            uint8_t v = uint8_t(next + i);
            (i < room.first.size() ? room.first[i] : room.second[i - room.first.size()]) = v;
            model.push_back(v);
          }
          next = uint8_t(next + n);
          p.commit(n);
          break;
        }
        case 3:
        case 4: {
          size_t want = rng() % 30000;
          size_t n = c.pop(MutBytes(buf.data(), want)).value();
          ASSERT_EQ(n, std::min(want, model.size()));
          for (size_t i = 0; i < n; ++i) {
            ASSERT_EQ(buf[i], model.front());
            model.pop_front();
          }
          break;
        }
        default:
          p = StreamProducer::rx(*s.r);
          c = StreamConsumer::rx(*s.r);
          break;
      }
      ASSERT_LE(model.size(), STREAM_RING_BYTES);
    }
  }
}

}  // namespace
}  // namespace capos::net
