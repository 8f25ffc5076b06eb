#include "kernel/mm/frame_allocator.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

using capos::Err;
using capos::FrameAllocator;
using capos::MemRegion;
using capos::MemType;
using capos::PAGE_SIZE;
using capos::PhysRange;

namespace {

// A QEMU-like map with a hole below 4 GiB and memory above it.
std::vector<MemRegion> qemu_like_map() {
  return {
      {0x0, 0x9fc00, MemType::Usable},
      {0x9fc00, 0x400, MemType::Reserved},
      {0xf0000, 0x10000, MemType::Reserved},
      {0x100000, 0x7fedf000, MemType::Usable},
      {0x7ffdf000, 0x21000, MemType::Reserved},
      {0xb0000000, 0x10000000, MemType::Reserved},
      {0x100000000, 0x80000000, MemType::Usable},
  };
}

struct Fixture {
  std::vector<MemRegion> map;
  std::vector<uint64_t> storage;
  FrameAllocator fa;
  explicit Fixture(std::vector<MemRegion> m) : map(std::move(m)) {
    capos::Span<const MemRegion> regions(map.data(), map.size());
    storage.resize(FrameAllocator::storage_bytes(regions) / 8);
    EXPECT_TRUE(fa.init(regions, storage.data(), storage.size() * 8).ok());
  }
};

TEST(FrameAllocator, CountsOnlyUsablePagesAndNeverFrameZero) {
  Fixture f({{0x0, 0x10000, MemType::Usable}, {0x20000, 0x1800, MemType::Usable}});
  // 16 pages in the first region minus frame 0, 1 whole page in the second.
  EXPECT_EQ(f.fa.managed_frames(), 15u + 1u);
  std::set<uint64_t> seen;
  for (;;) {
    auto r = f.fa.alloc();
    if (!r) {
      EXPECT_EQ(r.error(), Err::OutOfMemory);
      break;
    }
    EXPECT_NE(*r, 0u);
    EXPECT_EQ(*r % PAGE_SIZE, 0u);
    EXPECT_TRUE(seen.insert(*r).second) << "frame handed out twice";
  }
  EXPECT_EQ(seen.size(), 16u);
  EXPECT_EQ(f.fa.free_frames(), 0u);
  EXPECT_FALSE(seen.count(0x21000)) << "partial trailing page must not be used";
}

TEST(FrameAllocator, ReservedOverlapWins) {
  Fixture f({{0x0, 0x100000, MemType::Usable}, {0x80000, 0x1000, MemType::Reserved}});
  for (;;) {
    auto r = f.fa.alloc();
    if (!r) break;
    EXPECT_NE(*r, 0x80000u);
  }
}

TEST(FrameAllocator, HandlesMemoryAbove4GiB) {
  Fixture f(qemu_like_map());
  EXPECT_GT(f.fa.frame_count(), (4ull << 30) / PAGE_SIZE);
  f.fa.reserve(0, 0x100000000);  // exhaust everything below 4 GiB
  auto r = f.fa.alloc();
  ASSERT_TRUE(r.ok());
  EXPECT_GE(*r, 0x100000000u);
}

TEST(FrameAllocator, DoubleFreeAndForeignFreeAreRejected) {
  Fixture f(qemu_like_map());
  uint64_t before = f.fa.free_frames();
  auto a = f.fa.alloc();
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(f.fa.free(*a).ok());
  EXPECT_EQ(f.fa.free(*a).error(), Err::AlreadyExists);
  EXPECT_EQ(f.fa.free(0xb0000000).error(), Err::OutOfRange);   // firmware hole
  EXPECT_EQ(f.fa.free(0x1000000001).error(), Err::InvalidArgument);  // unaligned
  EXPECT_EQ(f.fa.free(1ull << 50).error(), Err::OutOfRange);  // beyond RAM
  EXPECT_EQ(f.fa.free_frames(), before);
}

TEST(FrameAllocator, ContiguousAlignedRuns) {
  Fixture f(qemu_like_map());
  auto r = f.fa.alloc_contiguous(512, 512);  // 2 MiB aligned 2 MiB run
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r % (2u << 20), 0u);
  for (uint64_t k = 0; k < 512; ++k) EXPECT_TRUE(f.fa.is_used(*r + k * PAGE_SIZE));
  uint64_t free_before = f.fa.free_frames();
  // A bad free_contiguous changes nothing.
  EXPECT_FALSE(f.fa.free_contiguous(*r, 513).ok());
  EXPECT_EQ(f.fa.free_frames(), free_before);
  EXPECT_TRUE(f.fa.free_contiguous(*r, 512).ok());
  EXPECT_EQ(f.fa.alloc_contiguous(0).error(), Err::InvalidArgument);
  EXPECT_EQ(f.fa.alloc_contiguous(4, 3).error(), Err::InvalidArgument);
  EXPECT_EQ(f.fa.alloc_contiguous(1ull << 40).error(), Err::OutOfMemory);
}

TEST(FrameAllocator, AllocFreeLoopReturnsToBaseline) {
  Fixture f(qemu_like_map());
  uint64_t base = f.fa.free_frames();
  std::vector<uint64_t> held;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 200; ++i) held.push_back(*f.fa.alloc());
    for (uint64_t p : held) ASSERT_TRUE(f.fa.free(p).ok());
    held.clear();
  }
  EXPECT_EQ(f.fa.free_frames(), base);
}

TEST(FrameAllocator, PlaceStorageAvoidsRanges) {
  auto map = qemu_like_map();
  capos::Span<const MemRegion> regions(map.data(), map.size());
  PhysRange avoid[] = {{0x0, 0x1000}, {0x100000, 0x200000}, {0x1000, 0x9e000}};
  auto home = FrameAllocator::place_storage(regions, capos::Span<const PhysRange>(avoid, 3), 0x40000, 1ull << 30);
  ASSERT_TRUE(home.ok());
  EXPECT_GE(*home, 0x300000u);
  EXPECT_EQ(*home % PAGE_SIZE, 0u);
  EXPECT_FALSE(FrameAllocator::place_storage(regions, capos::Span<const PhysRange>(avoid, 3), 1ull << 40,
                                             1ull << 30).ok());
}

TEST(FrameAllocator, EmptyMapIsAnError) {
  MemRegion none[] = {{0x0, 0x100000, MemType::Reserved}};
  uint64_t storage[4];
  FrameAllocator fa;
  EXPECT_EQ(fa.init(capos::Span<const MemRegion>(none, 1), storage, sizeof(storage)).error(), Err::NotFound);
}

}  // namespace
