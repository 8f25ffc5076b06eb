// Crash simulation for lib/fs: a workload runs on a recording RAM device;
// then for every prefix of its write/flush log, the image a power cut
// could leave is built — everything before the last flush, plus any
// subset of the writes after it, in any order, some torn at a sector
// boundary — and mounted. The mount must succeed and show exactly the
// last synced tree, or the tree of the sync in progress if that sync's
// superblock write was among those that landed.
#include <gtest/gtest.h>

#include <random>

#include "lib/fs/batch_store.h"
#include "tests/host/fs/fs_harness.h"

namespace capos::fs::test {
namespace {

constexpr uint64_t kDevBlocks = 64;
constexpr size_t kSector = 512;

struct Recorded {
  std::vector<uint8_t> base;  // the image when recording began
  std::vector<DevOp> log;
  std::vector<Tree> snapshots;      // [0] = base, [j] = after sync j
  std::vector<size_t> super_write;  // log index of sync j's superblock write
};

// `batched`: the filesystem runs over a BatchStore (as in fsd), so the
// log holds its gathered writes as they went down.
Recorded run_workload(uint64_t seed, bool batched) {
  MallocAllocator mem;
  RamDevice dev(kDevBlocks);
  std::vector<uint8_t> rbuf(8 * kBlockSize), wbuf(4 * kBlockSize);
  BatchStore batch(dev, MutBytes(rbuf.data(), rbuf.size()), MutBytes(wbuf.data(), wbuf.size()));
  Filesystem fs(batched ? static_cast<BlockStore&>(batch) : dev, mem);
  EXPECT_TRUE(fs.format());
  Recorded r;
  r.base = dev.image;
  r.snapshots.push_back(dump(fs));
  r.super_write.push_back(0);
  dev.recording = true;
  std::mt19937_64 rng(seed);
  auto pick = [&](uint64_t n) { return std::uniform_int_distribution<uint64_t>(0, n - 1)(rng); };
  NodeRef dir = *fs.create(fs.root(), sv("d"), Kind::Dir);
  for (int step = 0; step < 150; ++step) {
    std::string name = "f" + std::to_string(pick(4));
    NodeRef where = pick(2) ? dir : fs.root();
    auto f = fs.lookup(where, sv(name));
    switch (pick(10)) {
      case 0:
      case 6:
        if (!f) (void)fs.create(where, sv(name), Kind::File);
        break;
      case 1:
      case 2:
      case 7:
      case 8:
      case 9:
        if (f) {
          std::string data(1 + pick(3 * kBlockSize), static_cast<char>('a' + pick(26)));
          (void)fs.write(*f, pick(2 * kBlockSize), bytes(data));
        }
        break;
      case 3:
        if (f) (void)fs.remove(where, sv(name));
        break;
      case 4:
        if (f) (void)fs.truncate(*f, pick(2 * kBlockSize));
        break;
      case 5: {
        size_t before = dev.log.size();
        EXPECT_TRUE(fs.sync());
        size_t sw = before;
        for (size_t i = before; i < dev.log.size(); ++i)
          if (!dev.log[i].flush && dev.log[i].block < kSuperSlots) sw = i;
        r.super_write.push_back(sw);
        r.snapshots.push_back(dump(fs));
        break;
      }
    }
  }
  // Both kinds of commit, and the switches between them, are under test.
  EXPECT_GT(fs.journal_commits(), 3u);
  EXPECT_GT(fs.checkpoint_commits(), 1u);
  r.log = dev.log;
  return r;
}

// The image after log[0, cut) where writes after the last flush land as
// chosen by `variant` (0 all in order, 1 none, 2+ random subset, order
// and tearing). Returns which of those writes landed (by log index).
std::vector<uint8_t> crash_image(const Recorded& r, size_t cut, int variant, std::mt19937_64& rng,
                                 std::vector<size_t>* landed) {
  std::vector<uint8_t> img = r.base;
  size_t last_flush = 0;
  for (size_t i = 0; i < cut; ++i)
    if (r.log[i].flush) last_flush = i + 1;
  for (size_t i = 0; i < last_flush; ++i) {
    const DevOp& op = r.log[i];
    if (!op.flush) std::copy(op.data.begin(), op.data.end(), img.begin() + op.block * kBlockSize);
  }
  std::vector<size_t> pending;
  for (size_t i = last_flush; i < cut; ++i)
    if (!r.log[i].flush) pending.push_back(i);
  if (variant == 1) pending.clear();
  if (variant >= 2) {
    std::shuffle(pending.begin(), pending.end(), rng);
    pending.resize(std::uniform_int_distribution<size_t>(0, pending.size())(rng));
  }
  for (size_t i : pending) {
    const DevOp& op = r.log[i];
    size_t len = op.data.size();
    bool torn = variant >= 2 && rng() % 3 == 0;
    if (torn) len = kSector * std::uniform_int_distribution<size_t>(0, len / kSector - 1)(rng);
    std::copy(op.data.begin(), op.data.begin() + len, img.begin() + op.block * kBlockSize);
    // A superblock lives in the first sector: a tear after it is a landing.
    if (len >= kSuperBytes) landed->push_back(i);
  }
  return img;
}

void every_prefix_mounts(bool batched) {
  MallocAllocator mem;
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Recorded r = run_workload(seed, batched);
    ASSERT_GT(r.snapshots.size(), 3u) << "the workload should sync several times";
    std::mt19937_64 rng(seed * 77);
    size_t checked = 0;
    for (size_t cut = 0; cut <= r.log.size(); ++cut) {
      // Syncs whose final flush is inside the prefix are durable.
      size_t durable = 0;
      for (size_t j = 1; j < r.snapshots.size(); ++j) {
        size_t flushes_after = 0;
        for (size_t i = r.super_write[j]; i < cut; ++i) flushes_after += r.log[i].flush;
        if (flushes_after > 0) durable = j;
      }
      for (int variant = 0; variant < 6; ++variant) {
        std::vector<size_t> landed;
        RamDevice dev(kDevBlocks);
        dev.image = crash_image(r, cut, variant, rng, &landed);
        Filesystem fs(dev, mem);
        auto st = fs.mount();
        ASSERT_TRUE(st) << "seed " << seed << " cut " << cut << " variant " << variant << ": " << st.error().detail;
        Tree got = dump(fs);
        bool next_landed = durable + 1 < r.snapshots.size() &&
                           std::find(landed.begin(), landed.end(), r.super_write[durable + 1]) != landed.end();
        bool ok = got == r.snapshots[durable] || (next_landed && got == r.snapshots[durable + 1]);
        ASSERT_TRUE(ok) << "seed " << seed << " cut " << cut << " variant " << variant << " durable " << durable;
        // The survivor keeps working: one more change commits and mounts.
        if (variant == 0 && cut % 7 == 0) {
          ASSERT_TRUE(fs.create(fs.root(), sv("after-crash"), Kind::File));
          ASSERT_TRUE(fs.sync());
          Filesystem again(dev, mem);
          ASSERT_TRUE(again.mount());
          EXPECT_TRUE(again.lookup(again.root(), sv("after-crash")));
        }
        ++checked;
      }
    }
    EXPECT_GT(checked, 300u);
  }
}

TEST(FsCrash, EveryPrefixMountsToASyncedState) { every_prefix_mounts(false); }

// The same through fsd's write batching: gathered writes go down as
// multi-block writes that a power cut can tear or drop like any other.
TEST(FsCrash, EveryPrefixMountsToASyncedStateWhenBatched) { every_prefix_mounts(true); }

}  // namespace
}  // namespace capos::fs::test
