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

// The one-CPU forms (what -smp 1 runs) and the several-CPU forms with
// one queue must pick the same threads in the same order and keep the
// same floor as a lone FairQueue: random inserts, handoffs, pops and
// floor advances, checked against the reference after every step.
TEST(CpuQueues, OneCpuFormsMatchALoneFairQueueAndTheGeneralForms) {
  std::mt19937 rng(15);
  for (int round = 0; round < 50; ++round) {
    FairQueue<T> ref;
    CpuQueues<T, 2> one, gen;
    constexpr size_t N = 24;
    std::vector<T> a(N), b(N), c(N);  // the same threads, one copy per structure
    std::vector<bool> queued(N, false);
    for (size_t i = 0; i < N; ++i) a[i].id = b[i].id = c[i].id = static_cast<int>(i);
    for (int step = 0; step < 400; ++step) {
      uint32_t op = rng() % 4;
      size_t i = rng() % N;
      if (op <= 1 && !queued[i]) {
        uint64_t vr = rng() % 5000;
        a[i].vruntime = b[i].vruntime = c[i].vruntime = vr;
        if (op == 0) {
          ref.insert(&a[i]);
          one.insert_one(&b[i]);
          gen.insert(0, &c[i]);
        } else {
          ref.push_front(&a[i]);
          one.push_front_one(&b[i]);
          gen.push_front(0, &c[i]);
        }
        queued[i] = true;
      } else if (op == 2) {
        T* x = ref.pop();
        T* y = one.pop_one();
        T* z = gen.pick(0, 1, 100);
        ASSERT_EQ(x ? x->id : -1, y ? y->id : -1);
        ASSERT_EQ(x ? x->id : -1, z ? z->id : -1);
        if (x) {
          queued[static_cast<size_t>(x->id)] = false;
          uint64_t run = x->vruntime + rng() % 300;  // it ran a little
          x->vruntime = y->vruntime = z->vruntime = run;
          ref.advance_floor_to(run);
          one.advance_floor_one(run);
          gen.advance_floor(1, run);
        }
      }
      ASSERT_EQ(ref.size(), one.size_one());
      ASSERT_EQ(ref.size(), gen.total(1));
      ASSERT_EQ(ref.empty(), one.empty_one());
      ASSERT_EQ(ref.empty(), gen.empty(1));
      ASSERT_EQ(ref.floor(), gen.floor());
      for (size_t k = 0; k < N; ++k) ASSERT_EQ(a[k].vruntime, b[k].vruntime) << "thread " << k;
      for (size_t k = 0; k < N; ++k) ASSERT_EQ(a[k].vruntime, c[k].vruntime) << "thread " << k;
    }
  }
}

// The endpoint direct switch on one CPU (place_running_one: the thread
// runs without passing the queue) must leave the thread's vruntime and the
// floor exactly as the generic steps do -- raise_to_floor, then
// advance_floor_one with its vruntime -- and as a lone FairQueue's
// raise_to_floor + advance_floor_to: random queues, floors and runners
// (below, at and above the floor; queue front below and above them).
TEST(CpuQueues, DirectSwitchPlacementMatchesTheGenericSteps) {
  std::mt19937 rng(16);
  for (int round = 0; round < 2000; ++round) {
    CpuQueues<T, 2> fast, slow;
    FairQueue<T> ref;
    constexpr size_t N = 6;
    std::vector<T> a(N), b(N), c(N);
    size_t queued = rng() % N;  // threads 0..queued-1 are queued, `queued` runs directly
    uint64_t base = rng() % 4000;
    for (size_t i = 0; i <= queued; ++i) a[i].vruntime = b[i].vruntime = c[i].vruntime = base + rng() % 3000;
    for (size_t i = 0; i < queued; ++i) {
      fast.insert_one(&a[i]);
      slow.insert_one(&b[i]);
      ref.insert(&c[i]);
    }
    // Move the floor somewhere: an earlier runner's advance.
    uint64_t earlier = base + rng() % 5000;
    fast.advance_floor_one(earlier);
    slow.advance_floor_one(earlier);
    ref.advance_floor_to(earlier);
    ASSERT_EQ(fast.floor(), ref.floor());
    fast.place_running_one(&a[queued]);
    slow.raise_to_floor(&b[queued]);
    slow.advance_floor_one(b[queued].vruntime);
    ref.raise_to_floor(&c[queued]);
    ref.advance_floor_to(c[queued].vruntime);
    ASSERT_EQ(a[queued].vruntime, b[queued].vruntime) << "round " << round;
    ASSERT_EQ(a[queued].vruntime, c[queued].vruntime) << "round " << round;
    ASSERT_EQ(fast.floor(), slow.floor()) << "round " << round;
    ASSERT_EQ(fast.floor(), ref.floor()) << "round " << round;
    ASSERT_GE(a[queued].vruntime, fast.floor());  // sleeping earned nothing
    for (size_t i = 0; i < queued; ++i) {  // the queue itself is untouched
      T* x = fast.pop_one();
      T* y = slow.pop_one();
      ASSERT_EQ(x - a.data(), y - b.data());
    }
    ASSERT_TRUE(fast.empty_one());
  }
}

// Another CPU with work of its own leaves a handoff alone, however far
// its own front is ahead (the server runs where its caller was).
TEST(CpuQueues, HandoffIsNotStolenByABusyCpu) {
  CpuQueues<T, 2> q;
  T server, mine;
  server.vruntime = 0;
  mine.vruntime = 1'000'000;
  q.push_front(0, &server);
  q.insert(1, &mine);
  EXPECT_EQ(q.pick(1, 2, 10), &mine);
  EXPECT_EQ(q.pick(0, 2, 10), &server);
}

// A handoff on one CPU is not pinned against a thief that finds its own
// queue empty (an idle CPU may take it), and a stolen handoff leaves no
// mark behind: the next front on that CPU is picked by the usual rule.
TEST(CpuQueues, StolenHandoffLeavesNoMark) {
  CpuQueues<T, 2> q;
  T server, later, other;
  server.vruntime = 10;
  later.vruntime = 1000;
  other.vruntime = 0;
  q.push_front(0, &server);
  EXPECT_EQ(q.pick(1, 2, 50), &server);  // CPU 1 has nothing: it takes it
  q.insert(0, &later);
  q.insert(1, &other);
  EXPECT_EQ(q.pick(0, 2, 50), &other);  // not pinned: 0 + 50 < 1000
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
