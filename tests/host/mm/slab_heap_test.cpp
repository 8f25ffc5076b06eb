#include "lib/alloc/slab_heap.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <vector>

namespace {

class HostPages final : public capos::PageSource {
 public:
  void* alloc_pages(size_t count) override {
    if (budget_ < count) return nullptr;
    budget_ -= count;
    void* p = std::aligned_alloc(4096, count * 4096);
    live_[p] = count;
    return p;
  }
  void free_pages(void* p, size_t count) override {
    auto it = live_.find(p);
    ASSERT_NE(it, live_.end());
    ASSERT_EQ(it->second, count);
    live_.erase(it);
    budget_ += count;
    std::free(p);
  }
  size_t live() const { return live_.size(); }
  size_t budget_ = 1 << 20;

 private:
  std::map<void*, size_t> live_;
};

TEST(SlabHeap, RandomWorkloadReturnsEveryPage) {
  HostPages pages;
  capos::SlabHeap heap(pages);
  std::mt19937 rng(42);
  std::vector<std::pair<uint8_t*, size_t>> live;
  for (int i = 0; i < 20000; ++i) {
    if (live.empty() || rng() % 3) {
      size_t size = (rng() % 4 == 0) ? 1 + rng() % 20000 : 1 + rng() % 2048;
      auto* p = static_cast<uint8_t*>(heap.alloc(size));
      ASSERT_NE(p, nullptr);
      ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u);
      std::memset(p, static_cast<int>(size & 0xFF), size);
      live.push_back({p, size});
    } else {
      size_t k = rng() % live.size();
      auto [p, size] = live[k];
      for (size_t j = 0; j < size; ++j) ASSERT_EQ(p[j], static_cast<uint8_t>(size & 0xFF)) << "block overlap";
      ASSERT_TRUE(heap.free(p));
      live[k] = live.back();
      live.pop_back();
    }
  }
  for (auto [p, size] : live) ASSERT_TRUE(heap.free(p));
  EXPECT_EQ(heap.stats().allocations, 0u);
  EXPECT_EQ(heap.stats().bytes_in_use, 0u);
  EXPECT_EQ(heap.stats().pages_held, 0u);
  EXPECT_EQ(pages.live(), 0u);
}

TEST(SlabHeap, RejectsDoubleAndForeignFrees) {
  HostPages pages;
  capos::SlabHeap heap(pages);
  void* keep = heap.alloc(32);  // keeps the slab page alive
  void* p = heap.alloc(32);
  ASSERT_TRUE(heap.free(p));
  EXPECT_FALSE(heap.free(p));  // double free
  EXPECT_FALSE(heap.free(static_cast<uint8_t*>(keep) + 8));  // interior pointer
  void* big = heap.alloc(10000);
  EXPECT_FALSE(heap.free(static_cast<uint8_t*>(big) + 16));
  EXPECT_TRUE(heap.free(big));
  EXPECT_TRUE(heap.free(keep));
  EXPECT_TRUE(heap.free(nullptr));
}

TEST(SlabHeap, ExhaustionReturnsNull) {
  HostPages pages;
  pages.budget_ = 3;
  capos::SlabHeap heap(pages);
  EXPECT_EQ(heap.alloc(5 * 4096), nullptr);
  EXPECT_EQ(heap.alloc(SIZE_MAX - 10), nullptr);  // size overflow
  void* p = heap.alloc(100);
  EXPECT_NE(p, nullptr);
  EXPECT_TRUE(heap.free(p));
  EXPECT_EQ(pages.live(), 0u);
}

}  // namespace

TEST(SlabHeap, BlockSizeForRealloc) {
  HostPages pages;
  capos::SlabHeap heap(pages);
  void* small = heap.alloc(20);
  void* big = heap.alloc(10000);
  EXPECT_EQ(heap.block_size(small).value_or(0), 32u);  // the class size
  EXPECT_EQ(heap.block_size(big).value_or(0), 10000u);
  EXPECT_FALSE(heap.block_size(static_cast<uint8_t*>(small) + 8));
  EXPECT_FALSE(heap.block_size(static_cast<uint8_t*>(big) + 16));
  EXPECT_FALSE(heap.block_size(nullptr));
  EXPECT_TRUE(heap.free(small));
  EXPECT_TRUE(heap.free(big));
}
