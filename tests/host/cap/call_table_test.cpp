#include "kernel/ipc/call_table.h"

#include <gtest/gtest.h>

#include <set>

namespace {

struct Call {
  int n;
};

TEST(CallTable, InsertFindRemove) {
  capos::CallTable<Call, 4> t;
  Call a{1}, b{2};
  uint32_t ia = t.insert(&a), ib = t.insert(&b);
  ASSERT_NE(ia, 0u);
  ASSERT_NE(ib, 0u);
  EXPECT_NE(ia, ib);
  EXPECT_EQ(t.find(ia), &a);
  EXPECT_EQ(t.find(ib), &b);
  EXPECT_EQ(t.size(), 2u);
  t.remove(ia);
  EXPECT_EQ(t.find(ia), nullptr);  // the id is stale now
  EXPECT_EQ(t.find(ib), &b);
}

TEST(CallTable, ReusedSlotsGetNewIds) {
  capos::CallTable<Call, 1> t;
  Call a{1};
  std::set<uint32_t> ids;
  for (int i = 0; i < 1000; ++i) {
    uint32_t id = t.insert(&a);
    ASSERT_NE(id, 0u);
    EXPECT_TRUE(ids.insert(id).second) << "call id reused";
    t.remove(id);
  }
}

TEST(CallTable, ForgedIdsAreRejected) {
  capos::CallTable<Call, 4> t;
  Call a{1};
  uint32_t id = t.insert(&a);
  EXPECT_EQ(t.find(0), nullptr);
  EXPECT_EQ(t.find(id + (1u << 8)), nullptr);   // wrong generation
  EXPECT_EQ(t.find((id & ~0xFFu) | 3u), nullptr);  // empty slot
  EXPECT_EQ(t.find((id & ~0xFFu) | 200u), nullptr);  // index out of range
  EXPECT_EQ(t.find(0xFFFFFFFFu), nullptr);
  EXPECT_EQ(t.find(id), &a);
}

TEST(CallTable, FullTableAndTeardown) {
  capos::CallTable<Call, 3> t;
  Call c[4] = {{0}, {1}, {2}, {3}};
  for (int i = 0; i < 3; ++i) ASSERT_NE(t.insert(&c[i]), 0u);
  EXPECT_TRUE(t.full());
  EXPECT_EQ(t.insert(&c[3]), 0u);
  int seen = 0;
  t.for_each([&](Call*, uint32_t id) {
    t.remove(id);
    ++seen;
  });
  EXPECT_EQ(seen, 3);
  EXPECT_EQ(t.size(), 0u);
}

TEST(CallTable, GenerationWrapSkipsZero) {
  capos::CallTable<Call, 1> t;
  Call a{1};
  // Drive the generation through its 24-bit wrap: ids never become 0 and
  // never repeat within one wrap.
  uint32_t first = t.insert(&a);
  t.remove(first);
  for (uint32_t i = 0; i < capos::CallTable<Call, 1>::GENERATION_MASK - 1; ++i) {
    uint32_t id = t.insert(&a);
    ASSERT_NE(id, 0u);
    t.remove(id);
  }
  uint32_t wrapped = t.insert(&a);
  EXPECT_EQ(wrapped, first);  // full cycle back to generation 1
}

}  // namespace

TEST(CallTableOrphans, OnlyTheServerItWasDeliveredToCanTakeIt) {
  capos::CallTable<Call, 2> t;
  Call a{1};
  int server = 0, other = 0;
  uint32_t id = t.insert(&a);
  t.orphan(id, &server);
  EXPECT_EQ(t.find(id), nullptr);  // the record is gone
  EXPECT_EQ(t.size(), 1u);         // the id is still reserved
  EXPECT_FALSE(t.take_orphan(id, &other));
  EXPECT_FALSE(t.take_orphan(id ^ (1u << 8), &server));  // wrong generation
  EXPECT_FALSE(t.take_orphan(id + 1, &server));          // another index
  EXPECT_EQ(t.size(), 1u);
  EXPECT_TRUE(t.take_orphan(id, &server));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.take_orphan(id, &server));  // replay
}

TEST(CallTableOrphans, OrphanSlotsAreNotReusedUntilCleared) {
  capos::CallTable<Call, 2> t;
  Call a{1}, b{2}, c{3};
  int s1 = 0, s2 = 0;
  uint32_t ia = t.insert(&a), ib = t.insert(&b);
  t.orphan(ia, &s1);
  t.orphan(ib, &s2);
  EXPECT_TRUE(t.full());
  EXPECT_EQ(t.insert(&c), 0u);
  t.clear_orphans(&s1);  // s1 died
  EXPECT_EQ(t.size(), 1u);
  uint32_t ic = t.insert(&c);
  EXPECT_NE(ic, 0u);
  EXPECT_NE(ic, ia);
  EXPECT_FALSE(t.take_orphan(ia, &s1));
  t.clear_orphans(nullptr);  // the endpoint died
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.find(ic), &c);
  EXPECT_FALSE(t.take_orphan(ib, &s2));
}
