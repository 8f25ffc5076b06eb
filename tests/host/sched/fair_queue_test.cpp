// FairQueue (kernel/sched/fair_queue.h): ordering against a model, and the
// CPU share a simulated tick-driven scheduler gives threads of different
// weights.
#include "kernel/sched/fair_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace {

using capos::ListNode;
using capos::sched::FairQueue;
using capos::sched::scale_for;

struct T {
  capos::ListNode sched_node;
  uint64_t vruntime = 0;
  uint32_t vr_scale = scale_for(1);
  int id = 0;
  uint64_t used = 0;
};

TEST(FairQueue, OrdersByVruntimeKeepingArrivalOrderForTies) {
  FairQueue<T> q;
  T a, b, c, d;
  a.id = 1, a.vruntime = 30;
  b.id = 2, b.vruntime = 10;
  c.id = 3, c.vruntime = 30;
  d.id = 4, d.vruntime = 20;
  for (T* t : {&a, &b, &c, &d}) q.insert(t);
  std::vector<int> order;
  while (T* t = q.pop()) order.push_back(t->id);
  EXPECT_EQ(order, (std::vector<int>{2, 4, 1, 3}));
}

TEST(FairQueue, WakersStartAtTheFloorAndHandoffGoesFirst) {
  FairQueue<T> q;
  T runner, sleeper, server;
  runner.vruntime = 1000;
  q.insert(&runner);
  q.advance_floor(nullptr);
  EXPECT_EQ(q.floor(), 1000u);
  sleeper.vruntime = 5;  // slept a long time: no credit for it
  q.insert(&sleeper);
  EXPECT_EQ(sleeper.vruntime, 1000u);
  server.vruntime = 5000;
  q.push_front(&server);
  EXPECT_EQ(q.pop(), &server);
}

TEST(FairQueue, RandomOperationsMatchTheModel) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 50; ++round) {
    FairQueue<T> q;
    std::vector<T> pool(64);
    std::vector<T*> model;  // in queue order
    for (int i = 0; i < 64; ++i) pool[i].id = i;
    std::vector<T*> off;
    for (auto& t : pool) off.push_back(&t);
    for (int step = 0; step < 2000; ++step) {
      int op = rng() % 3;
      if (op == 0 && !off.empty()) {
        size_t k = rng() % off.size();
        T* t = off[k];
        off.erase(off.begin() + k);
        t->vruntime = rng() % 1000;
        q.insert(t);
        auto pos = std::find_if(model.begin(), model.end(), [&](T* m) { return m->vruntime > t->vruntime; });
        model.insert(pos, t);
      } else if (op == 1 && !model.empty()) {
        T* t = q.pop();
        ASSERT_EQ(t, model.front());
        model.erase(model.begin());
        off.push_back(t);
      } else if (op == 2 && !model.empty()) {
        T* t = model[rng() % model.size()];
        q.remove(t);
        model.erase(std::find(model.begin(), model.end(), t));
        off.push_back(t);
      }
      ASSERT_EQ(q.size(), model.size());
    }
  }
}

// A tick-driven single CPU: each tick the running thread is charged and
// goes back into the queue; the least weighted runtime runs next.
TEST(FairQueue, CpuShareFollowsWeights) {
  struct Case {
    std::vector<uint32_t> weights;
  } cases[] = {{{1, 4}}, {{1, 1}}, {{2, 3, 5}}, {{1, 1024}}};
  for (const Case& c : cases) {
    FairQueue<T> q;
    std::vector<T> ts(c.weights.size());
    uint64_t total_w = 0;
    for (size_t i = 0; i < ts.size(); ++i) {
      ts[i].vr_scale = scale_for(c.weights[i]);
      total_w += c.weights[i];
      q.insert(&ts[i]);
    }
    const int ticks = 20000;
    for (int k = 0; k < ticks; ++k) {
      T* t = q.pop();
      FairQueue<T>::charge(t, 1000);
      t->used += 1;
      q.advance_floor(t);
      q.insert(t);
    }
    for (size_t i = 0; i < ts.size(); ++i) {
      double want = double(ticks) * c.weights[i] / total_w;
      EXPECT_NEAR(double(ts[i].used), want, want * 0.02 + 2) << "weight " << c.weights[i];
    }
  }
}

}  // namespace
