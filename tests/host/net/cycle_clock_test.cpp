// lib/net/cycle_clock: netd's millisecond clock from the TSC between
// Timer.now readings. It answers only with a rate and a fresh reading,
// follows a linear counter exactly, asks again when the reading is old
// or the counter went back, and never goes back in time.
#include "lib/net/cycle_clock.h"

#include <gtest/gtest.h>

#include <random>

namespace capos::net {
namespace {

constexpr uint64_t MAX_AGE = 100'000'000;  // 100 ms

TEST(NetCycleClock, NeedsTwoReadingsApartForARate) {
  CycleClock c(MAX_AGE);
  EXPECT_FALSE(c.now_ms(1000).ok());
  EXPECT_EQ(c.anchor(1000, 5'000'000), 5u);
  EXPECT_FALSE(c.calibrated());
  EXPECT_EQ(c.now_ms(2000).error(), Err::NotFound);
  // 1 ms later: too short a baseline for a rate.
  c.anchor(3'001'000, 6'000'000);
  EXPECT_FALSE(c.calibrated());
  // 3 cycles per ns over 30 ms.
  EXPECT_EQ(c.anchor(90'001'000, 35'000'000), 35u);
  ASSERT_TRUE(c.calibrated());
  EXPECT_EQ(*c.now_ms(90'001'000 + 3 * 7'000'300), 42u);  // the rate is rounded: not at the edge
}

TEST(NetCycleClock, FollowsALinearCounterExactlyToTheMillisecond) {
  // A 2.5 GHz counter with an offset, read at random moments; the clock
  // re-anchored whenever it asks. Every answer equals the true ms
  // (floor), give or take the rounding of the rate (at most 1 ms here).
  std::mt19937_64 rng(7);
  auto cycles_at = [](uint64_t ns) { return 123'456'789 + ns * 5 / 2; };
  CycleClock c(MAX_AGE);
  uint64_t ns = 1'000'000, anchors = 0, last = 0;
  for (int i = 0; i < 20000; ++i) {
    ns += rng() % 200'000;  // up to 0.2 ms per step
    uint64_t cyc = cycles_at(ns);
    auto ms = c.now_ms(cyc);
    uint64_t got;
    if (ms.ok()) {
      got = *ms;
    } else {
      got = c.anchor(cyc, ns);
      ++anchors;
    }
    EXPECT_GE(got, last);
    EXPECT_LE(got, ns / 1'000'000);
    EXPECT_GE(got + 1, ns / 1'000'000);
    last = got;
  }
  // About 2 s of time: a reading every 100 ms, plus every step of the
  // first 20 ms (no rate yet: 0.1 ms per step on average).
  EXPECT_LE(anchors, 2000'000'000 / MAX_AGE + 300);
}

TEST(NetCycleClock, OldReadingOrCounterBackAsksAgain) {
  CycleClock c(MAX_AGE);
  c.anchor(0, 0);
  c.anchor(50'000'000, 50'000'000);  // 1 cycle per ns
  ASSERT_TRUE(c.calibrated());
  EXPECT_EQ(*c.now_ms(50'000'000 + 99'000'000), 149u);
  EXPECT_EQ(c.now_ms(50'000'000 + 100'000'000).error(), Err::NotFound);  // too old
  EXPECT_EQ(c.now_ms(49'999'999).error(), Err::NotFound);                // counter went back
}

TEST(NetCycleClock, NeverGoesBack) {
  CycleClock c(MAX_AGE);
  c.anchor(1'000'000, 0);
  c.anchor(41'000'000, 40'000'000);  // 1 cycle per ns
  EXPECT_EQ(*c.now_ms(71'000'000), 70u);
  // A reading behind the extrapolation (the rate becomes 6/7 ns per
  // cycle): the answer stays at 70 ms until the clock passes it.
  EXPECT_EQ(c.anchor(71'000'000, 60'000'000), 70u);
  EXPECT_EQ(*c.now_ms(76'000'000), 70u);  // 64.3 ms
  EXPECT_EQ(*c.now_ms(86'000'000), 72u);  // 72.9 ms
  // A counter behind the baseline (another CPU's counter, say): the
  // baseline starts over and the time still does not go back.
  EXPECT_EQ(c.anchor(10, 80'000'000), 80u);
  EXPECT_FALSE(c.calibrated());
  EXPECT_FALSE(c.now_ms(20).ok());
}

}  // namespace
}  // namespace capos::net
