// ParkTable (kernel/proc/park_table.h) against a simple model: random
// park / unpark / timeout / unmap / thread-exit sequences; after every
// step the set of waiters, the order of wakeups per word and the earliest
// deadline must match.
#include "kernel/proc/park_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <random>
#include <vector>

namespace {

using capos::ListNode;
using capos::ParkTable;

struct Waiter {
  ListNode ep_node;
  uint64_t owner_data = 0;  // park word address
  uint64_t deadline = ~0ull;
  uint8_t ring_slot = 0;
  int id = 0;
};

struct Model {
  std::deque<Waiter*> all;  // park order
  std::vector<int> wake(uint64_t addr, uint32_t max) {
    std::vector<int> out;
    for (auto it = all.begin(); it != all.end() && out.size() < max;) {
      if ((*it)->owner_data == addr) {
        out.push_back((*it)->id);
        it = all.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }
  template <class P> std::vector<int> take_if(P pred) {
    std::vector<int> out;
    for (auto it = all.begin(); it != all.end();) {
      if (pred(*it)) {
        out.push_back((*it)->id);
        it = all.erase(it);
      } else {
        ++it;
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  uint64_t earliest() const {
    uint64_t best = ~0ull;
    for (const Waiter* w : all) best = std::min(best, w->deadline);
    return best;
  }
};

std::vector<int> sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(ParkTable, WakeIsFifoPerWordAndBounded) {
  ParkTable<Waiter> t;
  Waiter w[5];
  for (int i = 0; i < 5; ++i) {
    w[i].id = i;
    w[i].owner_data = i % 2 ? 0x2000 : 0x1000;
    t.park(&w[i]);
  }
  std::vector<int> got;
  EXPECT_EQ(t.wake(0x1000, 2, [&](Waiter* x) { got.push_back(x->id); }), 2u);
  EXPECT_EQ(got, (std::vector<int>{0, 2}));
  EXPECT_EQ(t.wake(0x3000, 10, [&](Waiter*) { ADD_FAILURE(); }), 0u);
  EXPECT_EQ(t.size(), 3u);
  t.cancel_all([](Waiter*) {});
  EXPECT_TRUE(t.empty());
}

TEST(ParkTable, RandomSequencesMatchTheModel) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937_64 rng(seed);
    ParkTable<Waiter> t;
    Model m;
    std::vector<std::unique_ptr<Waiter>> pool;
    const uint64_t words[] = {0x400000, 0x400004, 0x401000, 0x7ff000, 0x7ff004, 0x10000000};
    uint64_t now = 0;
    int next_id = 0;
    for (int step = 0; step < 3000; ++step) {
      switch (rng() % 6) {
        case 0:
        case 1: {  // park
          auto w = std::make_unique<Waiter>();
          w->id = next_id++;
          w->owner_data = words[rng() % 6];
          w->deadline = rng() % 3 ? now + 1 + rng() % 50 : ~0ull;
          w->ring_slot = static_cast<uint8_t>(rng() % 4);
          t.park(w.get());
          m.all.push_back(w.get());
          pool.push_back(std::move(w));
          break;
        }
        case 2: {  // unpark
          uint64_t a = words[rng() % 6];
          uint32_t n = 1 + rng() % 3;
          std::vector<int> got;
          uint32_t r = t.wake(a, n, [&](Waiter* x) { got.push_back(x->id); });
          EXPECT_EQ(got, m.wake(a, n)) << "seed " << seed << " step " << step;
          EXPECT_EQ(r, got.size());
          break;
        }
        case 3: {  // time passes
          now += rng() % 20;
          std::vector<int> got;
          t.expire(now, [&](Waiter* x) { got.push_back(x->id); });
          EXPECT_EQ(sorted(got), m.take_if([&](Waiter* x) { return x->deadline != ~0ull && now >= x->deadline; }));
          break;
        }
        case 4: {  // a page goes away
          uint64_t va = words[rng() % 6] & ~uint64_t{0xfff};
          std::vector<int> got;
          t.cancel_range(va, 4096, [&](Waiter* x) { got.push_back(x->id); });
          EXPECT_EQ(sorted(got), m.take_if([&](Waiter* x) { return x->owner_data >= va && x->owner_data < va + 4096; }));
          break;
        }
        case 5: {  // a thread exits, or one waiter's record is cancelled
          if (rng() % 2) {
            uint32_t slot = rng() % 4;
            std::vector<int> got;
            t.cancel_slot(slot, [&](Waiter* x) { got.push_back(x->id); });
            EXPECT_EQ(sorted(got), m.take_if([&](Waiter* x) { return x->ring_slot == slot; }));
          } else if (!m.all.empty()) {
            Waiter* x = m.all[rng() % m.all.size()];
            t.remove(x);
            m.take_if([&](Waiter* y) { return y == x; });
          }
          break;
        }
      }
      ASSERT_EQ(t.size(), m.all.size()) << "seed " << seed << " step " << step;
      ASSERT_EQ(t.earliest_deadline(), m.earliest());
    }
    t.cancel_all([](Waiter*) {});
  }
}

}  // namespace
