// CpuQueues (kernel/sched/cpu_queues.h): own queue first, bounded
// stealing past the slack, handoff pinned to its CPU, one shared floor;
// and a simulated 2-CPU tick-driven scheduler that must give weighted
// shares within a few percent whatever the initial placement.
#include "kernel/sched/cpu_queues.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

namespace {

using capos::sched::CpuQueues;
using capos::sched::FairQueue;
using capos::sched::scale_for;

struct T {
  capos::ListNode sched_node;
  uint64_t vruntime = 0;
  uint32_t vr_scale = scale_for(1);
  int id = 0;
  uint64_t used = 0;
};

TEST(CpuQueues, OwnQueueFirstWithinTheSlack) {
  CpuQueues<T, 4> q;
  T a, b;
  a.vruntime = 100;
  b.vruntime = 60;  // behind a, but by less than the slack
  q.insert(0, &a);
  q.insert(1, &b);
  EXPECT_EQ(q.total(2), 2u);
  EXPECT_EQ(q.total(1), 1u);  // queues beyond ncpus are not counted
  EXPECT_EQ(q.pick(0, 2, 50), &a);
  EXPECT_EQ(q.pick(0, 2, 50), &b);  // own queue empty: take another's front
  EXPECT_EQ(q.pick(0, 2, 50), nullptr);
  EXPECT_TRUE(q.empty(4));
}

TEST(CpuQueues, StealsAFrontThatFellBehindByMoreThanTheSlack) {
  CpuQueues<T, 4> q;
  T a, b, c;
  a.vruntime = 1000;
  b.vruntime = 10;
  c.vruntime = 500;
  q.insert(0, &a);
  q.insert(1, &c);
  q.insert(2, &b);
  EXPECT_EQ(q.pick(0, 3, 100), &b);  // the furthest behind of the fronts past the slack
  EXPECT_EQ(q.pick(0, 3, 100), &c);
  EXPECT_EQ(q.pick(0, 3, 100), &a);
  EXPECT_EQ(q.pick(0, 2, 100), nullptr);
}

TEST(CpuQueues, QueuesBeyondNcpusAreNotLookedAt) {
  CpuQueues<T, 4> q;
  T a;
  q.insert(3, &a);
  EXPECT_EQ(q.pick(0, 3, 0), nullptr);
  EXPECT_EQ(q.pick(3, 4, 0), &a);
}

TEST(CpuQueues, HandoffRunsNextOnItsCpuWhateverTheOtherFronts) {
  CpuQueues<T, 2> q;
  T server, other, waiter;
  server.vruntime = 1'000'000;
  other.vruntime = 0;
  waiter.vruntime = 5;
  q.insert(1, &other);
  q.insert(0, &waiter);
  q.push_front(0, &server);
  EXPECT_EQ(q.pick(0, 2, 10), &server);
  EXPECT_EQ(q.pick(0, 2, 10), &waiter);  // no handoff any more: the usual rule (0 + 10 < 5 is false)
}

TEST(CpuQueues, OneFloorForAllQueues) {
  CpuQueues<T, 2> q;
  T a, b, late;
  a.vruntime = 700;
  b.vruntime = 900;
  q.insert(0, &a);
  q.insert(1, &b);
  q.advance_floor(2, 800);  // running elsewhere at 800; queued minimum 700
  EXPECT_EQ(q.floor(), 700u);
  q.advance_floor(2, 100);  // never lowered
  EXPECT_EQ(q.floor(), 700u);
  late.vruntime = 3;  // slept: starts at the shared floor on any queue
  q.insert(1, &late);
  EXPECT_EQ(late.vruntime, 700u);
}

// Two CPUs, each tick charges the running thread and re-picks. Weight-1
// hogs and weight-4 workers, all started on CPU 0 (the worst placement):
// the workers must end with 4x the hogs' CPU time (within 5%), on both
// CPUs together, and every thread must have run.
TEST(CpuQueues, SimulatedTwoCpusGiveWeightedShares) {
  constexpr uint64_t TICK = 1000, SLACK = TICK * capos::sched::WEIGHT_SCALE / 4;  // as the kernel's
  for (int hogs = 1; hogs <= 3; ++hogs) {
    CpuQueues<T, 2> q;
    std::vector<T> ts(static_cast<size_t>(hogs * 2));
    for (size_t i = 0; i < ts.size(); ++i) {
      ts[i].id = static_cast<int>(i);
      ts[i].vr_scale = scale_for(i % 2 ? 4 : 1);
      q.insert(0, &ts[i]);
    }
    T* running[2] = {nullptr, nullptr};
    for (int tick = 0; tick < 200000; ++tick) {
      for (uint32_t cpu = 0; cpu < 2; ++cpu) {
        if (T* r = running[cpu]) {
          r->used += TICK;
          FairQueue<T>::charge(r, TICK);
          q.insert(cpu, r);
        }
        T* next = q.pick(cpu, 2, SLACK);
        running[cpu] = next;
        uint64_t other = running[1 - cpu] ? running[1 - cpu]->vruntime : ~0ull;
        q.advance_floor(2, next && next->vruntime < other ? next->vruntime : other);
      }
    }
    uint64_t h = 0, w = 0;
    for (size_t i = 0; i < ts.size(); ++i) {
      EXPECT_GT(ts[i].used, 0u) << "thread " << i << " never ran";
      (i % 2 ? w : h) += ts[i].used;
    }
    double ratio = static_cast<double>(w) / static_cast<double>(h);
    // One hog + one worker on 2 CPUs: each simply has a CPU (ratio 1).
    double want = hogs == 1 ? 1.0 : 4.0;
    EXPECT_NEAR(ratio, want, want * 0.05) << hogs << " hogs";
  }
}

}  // namespace
