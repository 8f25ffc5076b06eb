// SchedulingContext budget accounting (kernel/sched/budget.h): renewal,
// debt, parents charged, and a simulated throttled CPU share; the mint
// rules refuse every escalation.
#include "kernel/sched/budget.h"

#include <gtest/gtest.h>

#include <random>

namespace capos::sched {
namespace {

TEST(Budget, UnlimitedNeverExhausts) {
  Budget b(nullptr, 0, 0, 0);
  b.charge(1'000'000'000, 10);
  EXPECT_FALSE(b.exhausted(20));
  EXPECT_FALSE(b.any_limited());
  EXPECT_EQ(b.total(), 1'000'000'000u);
}

TEST(Budget, ExhaustsAndRenewsWithDebt) {
  Budget b(nullptr, 100, 1000, 0);
  b.charge(60, 60);
  EXPECT_FALSE(b.exhausted(60));
  b.charge(70, 130);  // 30 over
  EXPECT_TRUE(b.exhausted(130));
  EXPECT_TRUE(b.exhausted(999));
  EXPECT_FALSE(b.exhausted(1000));  // renewed, 30 of debt
  EXPECT_EQ(b.used(), 30u);
  b.charge(70, 1100);
  EXPECT_TRUE(b.exhausted(1100));
}

TEST(Budget, IdlePeriodsEarnNothing) {
  Budget b(nullptr, 100, 1000, 0);
  b.charge(10, 10);
  EXPECT_FALSE(b.exhausted(50'000));
  EXPECT_EQ(b.used(), 0u);
  b.charge(100, 50'100);
  EXPECT_TRUE(b.exhausted(50'100));
}

TEST(Budget, DebtIsPaidInFull) {
  Budget b(nullptr, 100, 1000, 0);
  b.charge(10'000, 900);  // a long stretch: 99 budgets of debt
  EXPECT_TRUE(b.exhausted(1000));
  EXPECT_EQ(b.used(), 9'900u);
  EXPECT_TRUE(b.exhausted(50'000));
  EXPECT_FALSE(b.exhausted(100'000));
}

// Slices that overrun the budget by a lot (late ticks) still average out
// to the budget's share.
TEST(Budget, LongSlicesKeepTheShare) {
  Budget b(nullptr, 20, 100, 0);
  uint64_t ran = 0, end = 100'000;
  for (uint64_t now = 0; now < end; now += 30) {
    if (b.exhausted(now)) continue;
    b.charge(30, now + 30);  // every slice is 1.5 budgets long
    ran += 30;
  }
  EXPECT_NEAR(double(ran) / double(end), 0.2, 0.01);
}

TEST(Budget, ChildChargesItsParent) {
  Budget parent(nullptr, 100, 1000, 0);
  Budget a(&parent, 0, 0, 0), c(&parent, 0, 0, 0);
  a.charge(60, 60);
  c.charge(50, 110);
  EXPECT_TRUE(a.exhausted(110));
  EXPECT_TRUE(c.exhausted(110));
  EXPECT_TRUE(a.any_limited());
  EXPECT_EQ(c.depth(), 1u);
}

// A thread that always wants the CPU, scheduled in ticks of `tick`: it runs
// a tick unless its budget is exhausted at the tick's start. Its long-run
// share must be budget/period (within 2%), whatever the tick phase.
TEST(Budget, SimulatedShareMatchesBudget) {
  std::mt19937_64 rng(15);
  for (int round = 0; round < 50; ++round) {
    uint64_t period = 10'000 + rng() % 90'000, budget = 1'000 + rng() % (period - 1'000), tick = 100 + rng() % 900;
    Budget b(nullptr, budget, period, rng() % 1000);
    uint64_t ran = 0, end = 400 * period;
    for (uint64_t now = 1000; now < end; now += tick) {
      if (b.exhausted(now)) continue;
      b.charge(tick, now + tick);
      ran += tick;
    }
    double share = double(ran) / double(end - 1000), want = double(budget) / double(period);
    EXPECT_NEAR(share, want, 0.02) << "budget " << budget << " period " << period << " tick " << tick;
  }
}

TEST(MintRules, AcceptsNarrower) {
  EXPECT_EQ(mint_refusal(1024, 0, 0, 0, 4, 0, 0), nullptr);
  EXPECT_EQ(mint_refusal(1024, 0, 0, 0, 1, 20'000, 100'000), nullptr);
  EXPECT_EQ(mint_refusal(4, 20'000, 100'000, 1, 4, 10'000, 100'000), nullptr);
  EXPECT_EQ(mint_refusal(4, 20'000, 100'000, 1, 2, 40'000, 200'000), nullptr);  // same share
}

TEST(MintRules, RefusesEscalation) {
  EXPECT_NE(mint_refusal(4, 0, 0, 1, 5, 0, 0), nullptr);                       // higher weight
  EXPECT_NE(mint_refusal(4, 20'000, 100'000, 1, 4, 0, 0), nullptr);            // drops the budget
  EXPECT_NE(mint_refusal(4, 20'000, 100'000, 1, 4, 30'000, 100'000), nullptr);  // larger share
  EXPECT_NE(mint_refusal(4, 20'000, 100'000, 1, 4, 21'000, 100'000), nullptr);
  EXPECT_NE(mint_refusal(1024, 0, 0, 7, 1, 0, 0), nullptr);  // too deep
}

TEST(MintRules, RefusesMalformed) {
  EXPECT_NE(mint_refusal(1024, 0, 0, 0, 0, 0, 0), nullptr);
  EXPECT_NE(mint_refusal(1024, 0, 0, 0, 1025, 0, 0), nullptr);
  EXPECT_NE(mint_refusal(1024, 0, 0, 0, 1, 0, 5), nullptr);
  EXPECT_NE(mint_refusal(1024, 0, 0, 0, 1, 500, 100'000), nullptr);
  EXPECT_NE(mint_refusal(1024, 0, 0, 0, 1, 200'000, 100'000), nullptr);
  EXPECT_NE(mint_refusal(1024, 0, 0, 0, 1, 5'000, 5'000), nullptr);
  EXPECT_NE(mint_refusal(1024, 0, 0, 0, 1, 5'000, 2'000'000), nullptr);
}

}  // namespace
}  // namespace capos::sched
