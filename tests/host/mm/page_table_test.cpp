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
