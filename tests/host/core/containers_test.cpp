#include "lib/core/fixed_vector.h"
#include "lib/core/intrusive_list.h"
#include "lib/core/spinlock.h"

#include <gtest/gtest.h>

#include <thread>

namespace {

TEST(FixedVector, PushUntilFull) {
  capos::FixedVector<int, 3> v;
  EXPECT_TRUE(v.push_back(1));
  EXPECT_TRUE(v.push_back(2));
  EXPECT_TRUE(v.push_back(3));
  EXPECT_FALSE(v.push_back(4));
  EXPECT_TRUE(v.full());
  v.swap_remove(0);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0], 3);
  EXPECT_EQ(v[1], 2);
  int sum = 0;
  for (int x : v) sum += x;
  EXPECT_EQ(sum, 5);
  EXPECT_DEATH(v[5], "");
}

struct Item {
  int id;
  capos::ListNode node;
};
using ItemList = capos::IntrusiveList<Item, &Item::node>;

TEST(IntrusiveList, FifoOrderAndRemoval) {
  Item a{1, {}}, b{2, {}}, c{3, {}};
  ItemList l;
  l.push_back(&a);
  l.push_back(&b);
  l.push_front(&c);
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.front()->id, 3);
  EXPECT_EQ(l.back()->id, 2);
  l.remove(&a);
  EXPECT_FALSE(a.node.linked());
  EXPECT_EQ(l.pop_front()->id, 3);
  EXPECT_EQ(l.pop_front()->id, 2);
  EXPECT_EQ(l.pop_front(), nullptr);
  EXPECT_TRUE(l.empty());
}

// Without a count: the same order, links and traps (serving calls, kernel/ipc).
TEST(IntrusiveList, UncountedListKeepsOrderAndTraps) {
  using Uncounted = capos::IntrusiveList<Item, &Item::node, false>;
  Item a{1, {}}, b{2, {}}, c{3, {}};
  Uncounted l;
  l.push_back(&a);
  l.push_back(&b);
  l.push_front(&c);
  EXPECT_EQ(l.front()->id, 3);
  EXPECT_EQ(l.next(l.front())->id, 1);
  EXPECT_EQ(l.back()->id, 2);
  l.remove(&a);
  EXPECT_FALSE(a.node.linked());
  EXPECT_DEATH(l.remove(&a), "");
  EXPECT_DEATH(l.push_back(&b), "");
  EXPECT_EQ(l.pop_front()->id, 3);
  EXPECT_EQ(l.pop_front()->id, 2);
  EXPECT_EQ(l.pop_front(), nullptr);
  EXPECT_TRUE(l.empty());
}

TEST(IntrusiveList, DoubleInsertTraps) {
  Item a{1, {}};
  ItemList l;
  l.push_back(&a);
  EXPECT_DEATH(l.push_back(&a), "");
}

TEST(SpinLock, MutualExclusion) {
  capos::SpinLock lock;
  long counter = 0;
  auto work = [&] {
    for (int i = 0; i < 100000; ++i) {
      capos::LockGuard g(lock);
      ++counter;
    }
  };
  std::thread t1(work), t2(work);
  t1.join();
  t2.join();
  EXPECT_EQ(counter, 200000);
}

}  // namespace
