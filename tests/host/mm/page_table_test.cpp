#include "kernel/mm/page_table.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

using capos::Err;
using capos::PageSize;
using capos::PageTable;
namespace pte = capos::pte;

namespace {

// Host PtEnv: "physical" table addresses are fake, page-aligned ids.
class HostEnv final : public capos::PtEnv {
 public:
  capos::Result<uint64_t> alloc_table() override {
    if (limit_ && live_.size() >= limit_) return capos::fail(Err::OutOfMemory);
    uint64_t phys = next_ += 0x1000;
    auto mem = std::make_unique<uint64_t[]>(512);
    std::memset(mem.get(), 0, 4096);
    live_[phys] = std::move(mem);
    return phys;
  }
  void free_table(uint64_t phys) override {
    ASSERT_EQ(live_.erase(phys), 1u) << "freeing unknown table";
  }
  uint64_t* table(uint64_t phys) override {
    auto it = live_.find(phys);
    if (it == live_.end()) std::abort();
    return it->second.get();
  }
  size_t live() const { return live_.size(); }
  size_t limit_ = 0;

 private:
  uint64_t next_ = 0x100000000;
  std::map<uint64_t, std::unique_ptr<uint64_t[]>> live_;
};

TEST(PageTable, MapTranslateUnmap) {
  HostEnv env;
  auto pt = PageTable::create(env);
  ASSERT_TRUE(pt.ok());
  ASSERT_TRUE(pt->map(0x400000, 0x1234000, pte::WRITE | pte::USER | pte::NX).ok());
  auto t = pt->translate(0x400123);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->phys, 0x1234123u);
  EXPECT_EQ(t->flags & (pte::WRITE | pte::USER | pte::NX), pte::WRITE | pte::USER | pte::NX);
  EXPECT_EQ(pt->map(0x400000, 0x5000, 0).error(), Err::AlreadyExists);
  auto u = pt->unmap(0x400000);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(*u, 0x1234000u);
  EXPECT_EQ(pt->translate(0x400000).error(), Err::NotFound);
  EXPECT_EQ(pt->unmap(0x400000).error(), Err::NotFound);
}

TEST(PageTable, RejectsBadArguments) {
  HostEnv env;
  auto pt = PageTable::create(env);
  EXPECT_EQ(pt->map(0x400001, 0x1000, 0).error(), Err::InvalidArgument);            // unaligned va
  EXPECT_EQ(pt->map(0x400000, 0x1001, 0).error(), Err::InvalidArgument);            // unaligned pa
  EXPECT_EQ(pt->map(0x0000800000000000, 0x1000, 0).error(), Err::InvalidArgument);  // non-canonical
  EXPECT_EQ(pt->map(0x400000, 1ull << 52, 0).error(), Err::InvalidArgument);        // pa too wide
  EXPECT_EQ(pt->map(0x400000, 0x1000, pte::HUGE).error(), Err::InvalidArgument);   // not a leaf flag
  EXPECT_EQ(pt->map(0x200000 + 0x1000, 0x200000, 0, PageSize::Size2M).error(), Err::InvalidArgument);
}

TEST(PageTable, LargePagesAndConflicts) {
  HostEnv env;
  auto pt = PageTable::create(env);
  ASSERT_TRUE(pt->map(0xFFFF800000200000, 0x200000, pte::WRITE | pte::NX, PageSize::Size2M).ok());
  auto t = pt->translate(0xFFFF800000212345);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->phys, 0x212345u);
  EXPECT_EQ(t->size, PageSize::Size2M);
  // A 4 KiB mapping inside the large page is refused, not silently split.
  EXPECT_EQ(pt->map(0xFFFF800000201000, 0x9000, 0).error(), Err::AlreadyExists);
  EXPECT_EQ(pt->unmap(0xFFFF800000200000).error(), Err::Unsupported);
}

TEST(PageTable, ProtectChangesOnlyPermissions) {
  HostEnv env;
  auto pt = PageTable::create(env);
  ASSERT_TRUE(pt->map(0x7000, 0xabc000, pte::WRITE | pte::USER).ok());
  ASSERT_TRUE(pt->protect(0x7000, pte::USER | pte::NX).ok());
  auto t = pt->translate(0x7000);
  EXPECT_EQ(t->phys, 0xabc000u);
  EXPECT_FALSE(t->flags & pte::WRITE);
  EXPECT_TRUE(t->flags & pte::NX);
  EXPECT_EQ(pt->protect(0x9000, 0).error(), Err::NotFound);
}

TEST(PageTable, OutOfTablesFailsCleanly) {
  HostEnv env;
  env.limit_ = 2;  // root + one more: a fresh 4-level path needs three
  auto pt = PageTable::create(env);
  EXPECT_EQ(pt->map(0x400000, 0x1000, 0).error(), Err::OutOfMemory);
}

TEST(PageTable, DestroyFreesEveryTableOfTheLowerHalf) {
  HostEnv env;
  auto kernel = PageTable::create(env);
  ASSERT_TRUE(kernel->map(0xFFFFFFFF80000000, 0x100000, 0).ok());
  size_t kernel_tables = env.live();
  auto user = PageTable::create(env);
  user->share_upper_half(*kernel);
  for (uint64_t va = 0x400000; va < 0x400000 + 64 * 0x1000; va += 0x1000) ASSERT_TRUE(user->map(va, va, 0).ok());
  ASSERT_TRUE(user->map(0x7FFFFFFFF000, 0x5000, 0).ok());
  EXPECT_EQ(user->translate(0xFFFFFFFF80000000)->phys, 0x100000u);  // kernel half visible
  user->destroy();
  EXPECT_EQ(env.live(), kernel_tables);  // shared kernel tables untouched
}

}  // namespace

// ---- prune: empty intermediate tables are freed after unmapping ----

TEST(PageTablePrune, SparseMapUnmapReturnsToRootOnly) {
  HostEnv env;
  auto pt = PageTable::create(env);
  ASSERT_TRUE(pt.ok());
  // One page in each of 64 distinct 1 GiB regions: 3 tables each.
  for (uint64_t i = 0; i < 64; ++i) {
    uint64_t va = (i + 1) << 30;
    ASSERT_TRUE(pt->map(va, 0x1000, pte::USER).ok());
    ASSERT_TRUE(pt->unmap(va).ok());
    pt->prune(va, 0x1000);
    EXPECT_EQ(env.live(), 1u) << "round " << i;  // only the root is left
  }
}

TEST(PageTablePrune, KeepsTablesThatStillMapSomething) {
  HostEnv env;
  auto pt = PageTable::create(env);
  ASSERT_TRUE(pt.ok());
  ASSERT_TRUE(pt->map(0x400000, 0x1000, pte::USER).ok());
  ASSERT_TRUE(pt->map(0x401000, 0x2000, pte::USER).ok());
  size_t tables = env.live();
  ASSERT_TRUE(pt->unmap(0x400000).ok());
  pt->prune(0x400000, 0x1000);
  EXPECT_EQ(env.live(), tables);  // the PT still maps 0x401000
  EXPECT_TRUE(pt->translate(0x401000).ok());
  ASSERT_TRUE(pt->unmap(0x401000).ok());
  pt->prune(0x400000, 0x2000);
  EXPECT_EQ(env.live(), 1u);
}

TEST(PageTablePrune, LeavesTheUpperHalfAndOtherRegionsAlone) {
  HostEnv env;
  auto pt = PageTable::create(env);
  ASSERT_TRUE(pt.ok());
  ASSERT_TRUE(pt->map(0xFFFF800000200000ull, 0x1000, 0).ok());  // kernel half
  ASSERT_TRUE(pt->map(0x7F0000000000ull, 0x1000, pte::USER).ok());
  size_t tables = env.live();
  pt->prune(0, 1ull << 47);  // nothing is empty: nothing goes
  EXPECT_EQ(env.live(), tables);
  pt->prune(0xFFFF800000000000ull, 1ull << 30);  // upper half: ignored
  EXPECT_EQ(env.live(), tables);
  EXPECT_TRUE(pt->translate(0xFFFF800000200000ull).ok());
}

// Random map/unmap/prune sequences against a model: every mapping the
// model holds translates, and the live table count equals the number of
// distinct tables the model's mappings need.
TEST(PageTablePrune, RandomSequencesMatchTheModel) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    HostEnv env;
    auto pt = PageTable::create(env);
    ASSERT_TRUE(pt.ok());
    std::map<uint64_t, uint64_t> model;  // va -> pa
    uint64_t x = seed * 0x9E3779B97F4A7C15ull;
    auto rnd = [&] { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x; };
    for (int step = 0; step < 3000; ++step) {
      // Addresses clustered so tables are shared: 4 root slots, 4 GiB each, 8 PTs.
      uint64_t va = ((rnd() % 4) << 39) | ((rnd() % 4) << 30) | ((rnd() % 8) << 21) | ((rnd() % 16) << 12);
      if (rnd() % 2) {
        bool ok = pt->map(va, 0x1000 * (step + 1), pte::USER).ok();
        EXPECT_EQ(ok, !model.count(va));
        if (ok) model[va] = 0x1000 * (step + 1);
      } else {
        bool ok = pt->unmap(va).ok();
        EXPECT_EQ(ok, model.count(va) == 1);
        model.erase(va);
        uint64_t span = (rnd() % 3 == 0) ? (1ull << 30) : 0x1000;
        pt->prune(va & ~(span - 1), span);
      }
    }
    // Prune everything, then count the tables the model needs.
    pt->prune(0, 1ull << 47);
    std::map<uint64_t, int> pdpt, pd, ptab;
    for (auto& [va, pa] : model) {
      pdpt[va >> 39] = 1;
      pd[va >> 30] = 1;
      ptab[va >> 21] = 1;
      auto t = pt->translate(va);
      ASSERT_TRUE(t.ok());
      EXPECT_EQ(t->phys, pa);
    }
    EXPECT_EQ(env.live(), 1 + pdpt.size() + pd.size() + ptab.size()) << "seed " << seed;
  }
}
