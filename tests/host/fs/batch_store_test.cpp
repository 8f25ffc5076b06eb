// lib/fs/batch_store: write batching and read-ahead must never change what
// a reader sees, must reach the device before flush returns, and must
// turn sequential traffic into few calls down.
#include "lib/fs/batch_store.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/host/fs/fs_harness.h"

namespace capos::fs::test {
namespace {

constexpr uint64_t kBlocks = 256;

struct Rig {
  RamDevice dev{kBlocks};
  std::vector<uint8_t> rbuf, wbuf;
  BatchStore store;
  Rig(uint32_t rblocks, uint32_t wblocks)
      : rbuf(size_t{rblocks} * kBlockSize),
        wbuf(size_t{wblocks} * kBlockSize),
        store(dev, MutBytes(rbuf.data(), rbuf.size()), MutBytes(wbuf.data(), wbuf.size())) {}
};

std::vector<uint8_t> pattern(uint64_t seed, uint32_t blocks) {
  std::vector<uint8_t> v(size_t{blocks} * kBlockSize);
  std::mt19937_64 rng(seed);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

// Random reads, writes and flushes against a model of the device: every
// read answers the model's bytes, and after every flush the device holds
// exactly the model.
TEST(BatchStore, RandomTrafficMatchesTheModel) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    Rig r(16, 8);
    std::vector<uint8_t> model(kBlocks * kBlockSize, 0);
    std::mt19937_64 rng(seed);
    auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
    uint64_t cursor = 0;  // a sequential stream, so read-ahead and gathering both happen
    for (int step = 0; step < 3000; ++step) {
      uint32_t count = static_cast<uint32_t>(1 + pick(pick(4) == 0 ? 40 : 4));
      uint64_t block = pick(3) == 0 ? pick(kBlocks - count + 1) : cursor;
      if (block + count > kBlocks) block = 0;
      cursor = block + count;
      switch (pick(5)) {
        case 0:
        case 1: {
          auto data = pattern(seed * 100000 + step, count);
          ASSERT_TRUE(r.store.write(block, count, Bytes(data.data(), data.size())));
          std::copy(data.begin(), data.end(), model.begin() + block * kBlockSize);
          break;
        }
        case 2:
        case 3: {
          std::vector<uint8_t> got(size_t{count} * kBlockSize);
          ASSERT_TRUE(r.store.read(block, count, MutBytes(got.data(), got.size())));
          ASSERT_TRUE(std::equal(got.begin(), got.end(), model.begin() + block * kBlockSize))
              << "seed " << seed << " step " << step << " block " << block << " count " << count;
          break;
        }
        case 4:
          ASSERT_TRUE(r.store.flush());
          ASSERT_EQ(r.dev.image, model) << "seed " << seed << " step " << step;
          break;
      }
    }
    EXPECT_GT(r.store.stats().reads_answered, 0u) << "read-ahead never answered a read";
  }
}

TEST(BatchStore, SequentialWritesGoDownInFullBuffers) {
  Rig r(16, 8);
  auto data = pattern(7, 2);
  for (uint64_t b = 2; b < 2 + 64; b += 2) ASSERT_TRUE(r.store.write(b, 2, Bytes(data.data(), data.size())));
  EXPECT_EQ(r.store.stats().lower_writes, 8u);  // 64 blocks, 8 at a time
  EXPECT_EQ(r.dev.writes, 8u);
  ASSERT_TRUE(r.store.flush());
  EXPECT_EQ(r.dev.flushes, 1u);
}

TEST(BatchStore, SequentialReadsAreReadAhead) {
  Rig r(32, 8);
  for (uint64_t b = 0; b < kBlocks; ++b) {
    auto p = pattern(b, 1);
    std::copy(p.begin(), p.end(), r.dev.image.begin() + b * kBlockSize);
  }
  std::vector<uint8_t> got(2 * kBlockSize);
  for (uint64_t b = 0; b < kBlocks; b += 2) {
    ASSERT_TRUE(r.store.read(b, 2, MutBytes(got.data(), got.size())));
    ASSERT_TRUE(std::equal(got.begin(), got.end(), r.dev.image.begin() + b * kBlockSize));
  }
  // 2, then 8, 16, 32, 32, ...: about kBlocks / 32 + 4 calls, not 128.
  EXPECT_LE(r.store.stats().lower_reads, kBlocks / 32 + 4);
  // A read that does not continue the stream reads only what it asks for.
  uint64_t before = r.store.stats().lower_reads;
  ASSERT_TRUE(r.store.read(5, 1, MutBytes(got.data(), kBlockSize)));
  EXPECT_EQ(r.store.stats().lower_reads, before + 1);
}

// A gathered write inside the read-ahead window must be seen by the read
// that fetches the window (it goes down first).
TEST(BatchStore, ReadAheadSeesGatheredWrites) {
  Rig r(32, 8);
  std::vector<uint8_t> got(kBlockSize);
  ASSERT_TRUE(r.store.read(0, 1, MutBytes(got.data(), got.size())));
  auto data = pattern(3, 1);
  ASSERT_TRUE(r.store.write(6, 1, Bytes(data.data(), data.size())));
  EXPECT_EQ(r.dev.writes, 0u);
  ASSERT_TRUE(r.store.read(1, 1, MutBytes(got.data(), got.size())));  // continues: window [1, 9)
  ASSERT_TRUE(r.store.read(6, 1, MutBytes(got.data(), got.size())));
  EXPECT_EQ(got, data);
  EXPECT_EQ(r.dev.writes, 1u);
}

// A batched write that fails surfaces late, so the store refuses
// everything afterwards: no flush can claim that data durable.
TEST(BatchStore, AFailedBatchedWritePoisonsTheStore) {
  Rig r(16, 8);
  auto data = pattern(9, 1);
  r.dev.fail_writes_after = 0;
  ASSERT_TRUE(r.store.write(10, 1, Bytes(data.data(), data.size())));  // only gathered
  auto st = r.store.flush();
  ASSERT_FALSE(st);
  EXPECT_STREQ(st.error().detail, "ram: injected write error");
  r.dev.fail_writes_after = -1;
  EXPECT_FALSE(r.store.flush());
  EXPECT_FALSE(r.store.write(10, 1, Bytes(data.data(), data.size())));
  std::vector<uint8_t> got(kBlockSize);
  EXPECT_FALSE(r.store.read(10, 1, MutBytes(got.data(), got.size())));
  EXPECT_EQ(r.dev.flushes, 0u);
}

TEST(BatchStore, RefusesRangesOutsideTheDevice) {
  Rig r(16, 8);
  std::vector<uint8_t> buf(2 * kBlockSize);
  EXPECT_FALSE(r.store.read(kBlocks - 1, 2, MutBytes(buf.data(), buf.size())));
  EXPECT_FALSE(r.store.write(kBlocks, 1, Bytes(buf.data(), kBlockSize)));
  EXPECT_FALSE(r.store.write(0, 1, Bytes(buf.data(), buf.size())));  // size disagrees with the count
  EXPECT_TRUE(r.store.flush());  // nothing was taken
  EXPECT_EQ(r.dev.writes, 0u);
}

// The filesystem over a batching store: unsynced data never reaches a
// remount, synced data does (the whole-stack version of the model test).
TEST(BatchStore, FilesystemOverItRemountsTheSyncedTree) {
  MallocAllocator mem;
  Rig r(64, 16);
  Filesystem fs(r.store, mem);
  ASSERT_TRUE(fs.format());
  NodeRef f = *fs.create(fs.root(), sv("big"), Kind::File);
  auto data = pattern(11, 40);
  for (uint32_t k = 0; k < 20; ++k)
    ASSERT_TRUE(fs.write(f, uint64_t{k} * 2 * kBlockSize, Bytes(data.data() + size_t{k} * 2 * kBlockSize, 2 * kBlockSize)));
  ASSERT_TRUE(fs.sync());
  ASSERT_TRUE(fs.create(fs.root(), sv("unsynced"), Kind::File));
  std::vector<uint8_t> got(data.size());
  ASSERT_EQ(*fs.read(f, 0, MutBytes(got.data(), got.size())), got.size());
  EXPECT_EQ(got, data);
  Filesystem again(r.dev, mem);  // the device itself: only what went down
  ASSERT_TRUE(again.mount());
  EXPECT_FALSE(again.lookup(again.root(), sv("unsynced")));
  NodeRef g = *again.lookup(again.root(), sv("big"));
  std::fill(got.begin(), got.end(), 0);
  ASSERT_EQ(*again.read(g, 0, MutBytes(got.data(), got.size())), got.size());
  EXPECT_EQ(got, data);
}

}  // namespace
}  // namespace capos::fs::test
