#include "kernel/cap/cap_table.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

using namespace capos;

namespace {

struct TestObj final : KObject {
  static inline int destroyed = 0;
  TestObj() : KObject(ObjType::Test) {}
  void destroy() override {
    ++destroyed;
    delete this;
  }
};

Ref<KObject> make_obj() { return Ref<KObject>::adopt(new TestObj()); }

struct Fixture {
  std::vector<CapSlot> storage = std::vector<CapSlot>(8);
  ResourceLedger ledger;
  CapTable table{Span<CapSlot>(storage.data(), storage.size()), &ledger};
};

TEST(CapTable, InsertLookupRemove) {
  Fixture f;
  int before = TestObj::destroyed;
  auto id = f.table.insert(make_obj(), 0x1234);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(f.ledger.used(Res::CapSlots), 1u);
  auto s = f.table.lookup(*id);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->interface_id, 0x1234u);
  auto removed = f.table.remove(*id);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(TestObj::destroyed, before);  // still referenced by `removed`
  removed->reset();
  EXPECT_EQ(TestObj::destroyed, before + 1);
  EXPECT_EQ(f.ledger.used(Res::CapSlots), 0u);
  EXPECT_EQ(f.table.lookup(*id).error(), Err::Stale);
  EXPECT_EQ(f.table.remove(*id).error(), Err::Stale);
}

// drop() is remove() with the reference released in place: the same
// errors, ledger, live count, free-list order and generations, and the
// object destroyed exactly when its last reference goes.
TEST(CapTable, DropMatchesRemove) {
  Fixture a, b;
  Ref<KObject> shared = make_obj();
  std::vector<uint32_t> ids_a, ids_b;
  for (int k = 0; k < 6; ++k) {
    Ref<KObject> o = k % 2 ? shared : make_obj();
    ids_a.push_back(*a.table.insert(o, 10 + k));
    ids_b.push_back(*b.table.insert(o, 10 + k));
  }
  int before = TestObj::destroyed;
  uint32_t shared_refs = shared->refs();
  // Live ids, the same id again (gone), a forged index, the invalid id.
  std::vector<uint32_t> order{ids_a[0], ids_a[1], ids_a[0], ids_a[3], 0x00ff0000u, capos::abi::CAPID_INVALID, ids_a[4]};
  for (uint32_t id : order) {
    auto r = a.table.remove(id);
    if (r.ok()) r->reset();  // one of the two references: the object stays
    int d0 = TestObj::destroyed;
    bool last = r.ok() && id != ids_a[1] && id != ids_a[3];
    auto d = b.table.drop(id);
    EXPECT_EQ(TestObj::destroyed - d0, last ? 1 : 0);  // drop released the last one
    EXPECT_EQ(r.ok(), d.ok());
    if (!r.ok() && !d.ok()) EXPECT_EQ(r.error(), d.error());
    EXPECT_EQ(a.table.live(), b.table.live());
    EXPECT_EQ(a.ledger.used(Res::CapSlots), b.ledger.used(Res::CapSlots));
  }
  EXPECT_EQ(TestObj::destroyed - before, 2);  // the objects of ids 0 and 4
  EXPECT_EQ(shared->refs(), shared_refs - 4);  // ids 1 and 3 from each table
  // A new insert lands in the same slot with the same generation in both.
  EXPECT_EQ(*a.table.insert(make_obj(), 1), *b.table.insert(make_obj(), 1));
  EXPECT_EQ(b.table.drop(ids_a[0]).error(), Err::Stale);
}

TEST(CapTable, RejectsForgedIds) {
  Fixture f;
  auto id = *f.table.insert(make_obj(), 1);
  EXPECT_EQ(f.table.lookup(capos::abi::capid_make(100, 1)).error(), Err::NotFound);  // out of range
  EXPECT_EQ(f.table.lookup(capos::abi::capid_make(3, 1)).error(), Err::NotFound);    // empty slot
  EXPECT_EQ(f.table.lookup(capos::abi::capid_make(capos::abi::capid_index(id), 7)).error(), Err::Stale);
  EXPECT_EQ(f.table.lookup(capos::abi::CAPID_INVALID).error(), Err::NotFound);
  for (uint32_t raw : {0u, 0x10000u, 0xFFFF0000u, 0x0000FFFFu, 0x12345678u}) {
    auto r = f.table.lookup(raw);
    if (raw == id) continue;
    EXPECT_FALSE(r.ok()) << std::hex << raw;
  }
}

TEST(CapTable, ReuseBumpsGenerationSoOldIdsAreStale) {
  Fixture f;
  auto a = *f.table.insert(make_obj(), 1);
  ASSERT_TRUE(f.table.remove(a).ok());
  auto b = *f.table.insert(make_obj(), 2);
  EXPECT_EQ(capos::abi::capid_index(a), capos::abi::capid_index(b));
  EXPECT_NE(a, b);
  EXPECT_EQ(f.table.lookup(a).error(), Err::Stale);
  EXPECT_EQ((*f.table.lookup(b))->interface_id, 2u);
}

TEST(CapTable, FullTableAndQuota) {
  Fixture f;
  f.ledger.set_limit(Res::CapSlots, 5);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(f.table.insert(make_obj(), 1).ok());
  auto r = f.table.insert(make_obj(), 1);
  EXPECT_EQ(r.error(), Err::Overloaded);  // quota before capacity
  f.ledger.set_limit(Res::CapSlots, 100);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(f.table.insert(make_obj(), 1).ok());
  EXPECT_EQ(f.table.insert(make_obj(), 1).error(), Err::OutOfRange);  // capacity 8
  EXPECT_EQ(f.ledger.used(Res::CapSlots), 8u);
  EXPECT_EQ(f.ledger.reserved(Res::CapSlots), 0u);
}

TEST(CapTable, UncommittedReservationRollsBack) {
  Fixture f;
  {
    auto r = f.table.reserve();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(f.ledger.reserved(Res::CapSlots), 1u);
  }
  EXPECT_EQ(f.ledger.reserved(Res::CapSlots), 0u);
  EXPECT_EQ(f.ledger.used(Res::CapSlots), 0u);
  // The slot is usable again, all 8 of them.
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(f.table.insert(make_obj(), 1).ok());
}

TEST(CapTable, ClearReleasesEverything) {
  int before = TestObj::destroyed;
  {
    Fixture f;
    for (int i = 0; i < 6; ++i) ASSERT_TRUE(f.table.insert(make_obj(), 1).ok());
    f.table.clear();
    EXPECT_EQ(f.table.live(), 0u);
    EXPECT_TRUE(f.ledger.empty());
  }
  EXPECT_EQ(TestObj::destroyed, before + 6);
}

TEST(CapTable, GenerationWrapRetiresTheSlot) {
  std::vector<CapSlot> storage(1);
  ResourceLedger ledger;
  CapTable table(Span<CapSlot>(storage.data(), 1), &ledger);
  std::vector<uint32_t> seen;
  for (int i = 0; i < 70000; ++i) {
    auto id = table.insert(make_obj(), 1);
    if (!id) {
      EXPECT_EQ(id.error(), Err::OutOfRange);
      break;
    }
    seen.push_back(*id);
    ASSERT_TRUE(table.remove(*id).ok());
  }
  EXPECT_EQ(seen.size(), 0xFFFFu);  // generations 1..0xFFFF, then retired
  EXPECT_TRUE(ledger.empty());
}

TEST(Ledger, ReserveCommitRollbackRelease) {
  ResourceLedger l;
  l.set_limit(Res::FramePages, 10);
  {
    auto a = l.reserve(Res::FramePages, 6);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(l.reserve(Res::FramePages, 5).error(), Err::Overloaded);
    a->commit();
  }
  EXPECT_EQ(l.used(Res::FramePages), 6u);
  {
    auto b = l.reserve(Res::FramePages, 4);
    ASSERT_TRUE(b.ok());
    // dropped without commit: rolls back
  }
  EXPECT_EQ(l.reserved(Res::FramePages), 0u);
  EXPECT_EQ(l.reserve(Res::FramePages, UINT64_MAX).error(), Err::Overloaded);  // overflow-safe
  l.release(Res::FramePages, 6);
  EXPECT_TRUE(l.empty());
}

// Spawn limits: a request becomes the child's quota, zero means the kernel
// default, and nothing exceeds the default or the parent's remaining quota.
TEST(Ledger, ChildLimitsAreBoundedByDefaultsAndTheParent) {
  const ResourceLedger::Limits d = ResourceLedger::default_limits();
  auto at = [](const ResourceLedger::Limits& l, Res r) { return l.max[static_cast<int>(r)]; };
  ResourceLedger parent;
  ResourceLedger::Limits want{};
  want.max[static_cast<int>(Res::CapSlots)] = 1;
  want.max[static_cast<int>(Res::FramePages)] = 1u << 30;  // above the default
  ResourceLedger::Limits got = ResourceLedger::child_limits(want, parent);
  EXPECT_EQ(at(got, Res::CapSlots), 1u);
  EXPECT_EQ(at(got, Res::FramePages), at(d, Res::FramePages));
  EXPECT_EQ(at(got, Res::VirtualPages), at(d, Res::VirtualPages));  // 0 = default
  EXPECT_EQ(at(got, Res::OutstandingCalls), at(d, Res::OutstandingCalls));

  // The parent has used 100 frame pages and reserved 20 of a 200 limit.
  parent.set_limit(Res::FramePages, 200);
  auto used = parent.reserve(Res::FramePages, 100);
  ASSERT_TRUE(used.ok());
  used->commit();
  auto held = parent.reserve(Res::FramePages, 20);
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(parent.remaining(Res::FramePages), 80u);
  got = ResourceLedger::child_limits(ResourceLedger::Limits{}, parent);
  EXPECT_EQ(at(got, Res::FramePages), 80u);
  want = {};
  want.max[static_cast<int>(Res::FramePages)] = 50;
  EXPECT_EQ(at(ResourceLedger::child_limits(want, parent), Res::FramePages), 50u);

  // A parent over its (lowered) limit has nothing to give.
  parent.set_limit(Res::FramePages, 10);
  EXPECT_EQ(parent.remaining(Res::FramePages), 0u);
  EXPECT_EQ(at(ResourceLedger::child_limits(want, parent), Res::FramePages), 0u);
  held->rollback();
  parent.release(Res::FramePages, 100);
}

}  // namespace

// The table never reads a slot it has not built: storage full of garbage
// (what a Process's raw slot storage holds) behaves like a fresh table.
TEST(CapTable, RawStorageIsBuiltOnFirstUse) {
  alignas(CapSlot) unsigned char raw[8 * sizeof(CapSlot)];
  memset(raw, 0xA5, sizeof(raw));
  ResourceLedger ledger;
  CapTable table{Span<CapSlot>(reinterpret_cast<CapSlot*>(raw), 8), &ledger};
  EXPECT_EQ(table.lookup(capos::abi::capid_make(5, 1)).error(), Err::NotFound);
  EXPECT_EQ(table.lookup(capos::abi::capid_make(5, 0xA5A5)).error(), Err::NotFound);
  EXPECT_EQ(table.slot_of(capos::abi::capid_make(5, 0xA5A5)), nullptr);
  EXPECT_EQ(table.slot_if_live(5), nullptr);
  EXPECT_FALSE(table.holds(reinterpret_cast<const KObject*>(0xA5A5A5A5A5A5A5A5ull)));
  std::vector<uint32_t> ids;
  for (uint32_t i = 0; i < 8; ++i) {
    auto id = table.insert(make_obj(), i);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(capos::abi::capid_index(*id), i);  // small, predictable ids in index order
    ids.push_back(*id);
  }
  EXPECT_EQ(table.insert(make_obj(), 9).error(), Err::OutOfRange);
  // A freed slot is reused before anything else, with a new generation.
  ASSERT_TRUE(table.remove(ids[3]).ok());
  auto again = table.insert(make_obj(), 10);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(capos::abi::capid_index(*again), 3u);
  EXPECT_NE(*again, ids[3]);
  table.clear();
  EXPECT_EQ(table.live(), 0u);
  EXPECT_EQ(ledger.used(Res::CapSlots), 0u);
}
