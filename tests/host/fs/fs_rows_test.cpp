// lib/bench/fs_rows.h, the workload both filesystem bench guests run: the
// names are distinct and valid filesystem names, the pattern tells files
// and positions apart (a block read from the wrong place fails the run),
// and the sort the guests use for medians sorts.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "lib/bench/fs_rows.h"
#include "lib/fs/format.h"

namespace capos::bench::fs {
namespace {

TEST(FsRows, NamesAreDistinctValidNames) {
  std::set<std::string> seen;
  for (uint32_t i = 0; i < kSmallFiles; ++i) {
    char name[kNameMax];
    size_t n = name_of(i, name);
    ASSERT_LE(n, kNameMax);
    EXPECT_TRUE(capos::fs::check_name(name, n)) << i;
    EXPECT_TRUE(seen.insert(std::string(name, n)).second) << i;
  }
  char name[kNameMax];
  EXPECT_EQ(std::string(name, name_of(0, name)), "f0");
  EXPECT_EQ(std::string(name, name_of(4294967295u, name)), "f4294967295");
}

TEST(FsRows, PatternDependsOnFileAndPosition) {
  std::vector<uint8_t> a(kSeqChunk), b(kSeqChunk);
  // Every 4 KiB block of the 64 MiB file differs from every other one the
  // bench could confuse it with: a neighbour, or the same offset of another file.
  fill(kSeqSeed, 0, a.data(), a.size());
  fill(kSeqSeed, kSeqChunk, b.data(), b.size());
  EXPECT_NE(a, b);
  fill(kSeqSeed + 1, 0, b.data(), b.size());
  EXPECT_NE(a, b);
  for (uint64_t blk = 0; blk < kSeqBytes / 4096; blk += 4099) {
    std::vector<uint8_t> x(4096), y(4096);
    fill(kSeqSeed, blk * 4096, x.data(), 4096);
    fill(kSeqSeed, (blk + 1) * 4096, y.data(), 4096);
    EXPECT_NE(x, y) << blk;
  }
  // Split fills agree with one fill (the guests fill chunk by chunk).
  std::vector<uint8_t> whole(3 * 1000), parts(3 * 1000);
  fill(7, 12345, whole.data(), whole.size());
  for (size_t k = 0; k < 3; ++k) fill(7, 12345 + k * 1000, parts.data() + k * 1000, 1000);
  EXPECT_EQ(whole, parts);
}

TEST(FsRows, SortSorts) {
  std::mt19937_64 rng(18);
  for (uint32_t n : {0u, 1u, 2u, 3u, 100u, 1000u, kSeqChunks}) {
    std::vector<uint64_t> v(n);
    for (auto& x : v) x = rng() % 1000;
    std::vector<uint64_t> want = v;
    std::sort(want.begin(), want.end());
    sort(v.data(), n);
    EXPECT_EQ(v, want) << n;
  }
}

TEST(FsRows, Rates) {
  EXPECT_EQ(ops_per_s(1000, 2'000'000'000), 500u);
  EXPECT_EQ(kib_per_s(kSeqBytes, 1'000'000'000), 65536u);
  EXPECT_EQ(ops_per_s(5, 0), 0u);
  EXPECT_EQ(kib_per_s(5, 0), 0u);
}

}  // namespace
}  // namespace capos::bench::fs
