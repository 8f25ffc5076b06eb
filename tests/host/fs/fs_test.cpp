// lib/fs behaviour on a RAM block store: tree operations, data, limits,
// hostile names, durability rules (only synced state survives a remount)
// and refusal of damaged images.
#include <gtest/gtest.h>

#include "tests/host/fs/fs_harness.h"

namespace capos::fs::test {
namespace {

struct Fixture {
  MallocAllocator mem;
  RamDevice dev;
  Filesystem fs{dev, mem};
  explicit Fixture(uint64_t blocks = 256) : dev(blocks) { EXPECT_TRUE(fs.format()); }
  // A fresh Filesystem over the same device: what a reboot sees.
  Tree remount() {
    Filesystem again(dev, mem);
    auto st = again.mount();
    EXPECT_TRUE(st) << (st ? "" : st.error().detail);
    return st ? dump(again) : Tree{};
  }
};

NodeRef mkfile(Filesystem& fs, NodeRef dir, const std::string& name, const std::string& data) {
  auto f = fs.create(dir, sv(name), Kind::File);
  EXPECT_TRUE(f);
  EXPECT_TRUE(fs.write(*f, 0, bytes(data)));
  return *f;
}

TEST(Fs, FormatMountsEmpty) {
  Fixture x;
  EXPECT_TRUE(x.remount().empty());
  EXPECT_EQ(x.fs.info().generation, 1u);
  EXPECT_EQ(x.fs.info().nodes, 1u);
}

TEST(Fs, WriteSyncRemountReadsBack) {
  Fixture x;
  auto d = x.fs.create(x.fs.root(), sv("home"), Kind::Dir);
  ASSERT_TRUE(d);
  std::string big(3 * kBlockSize + 17, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  mkfile(x.fs, *d, "big", big);
  mkfile(x.fs, x.fs.root(), "small", "hello");
  ASSERT_TRUE(x.fs.sync());
  Tree t = x.remount();
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t["/home/big"].data, big);
  EXPECT_EQ(t["/small"].data, "hello");
  EXPECT_TRUE(t["/home"].dir);
}

// Free blocks are counted 64 at a time: volumes whose size is not a
// multiple of 64 count their tail too, and the superblock slots never.
TEST(Fs, FreeCountOnOddSizedVolumes) {
  for (uint64_t blocks : {8u, 63u, 64u, 65u, 127u, 129u, 1000u, 4097u}) {
    Fixture x(blocks);
    x.fs.set_journal_limit(0);  // every commit a checkpoint (the journal: below)
    // Formatted: the two slots and a one-block metadata chain are used.
    EXPECT_EQ(x.fs.info().free_blocks, blocks - 3) << blocks;
    mkfile(x.fs, x.fs.root(), "f", std::string(2 * kBlockSize, 'f'));
    ASSERT_TRUE(x.fs.sync()) << blocks;
    // The old chain block is free again; the file and the new chain are not.
    EXPECT_EQ(x.fs.info().free_blocks, blocks - 5) << blocks;
    Filesystem again(x.dev, x.mem);
    ASSERT_TRUE(again.mount());
    EXPECT_EQ(again.info().free_blocks, blocks - 5) << blocks;
  }
}

// A journal commit keeps the checkpoint's chain and adds its own blocks.
TEST(Fs, FreeCountWithAJournal) {
  for (uint64_t blocks : {64u, 65u, 1000u, 4097u}) {
    Fixture x(blocks);
    EXPECT_EQ(x.fs.info().free_blocks, blocks - 3) << blocks;
    mkfile(x.fs, x.fs.root(), "f", std::string(2 * kBlockSize, 'f'));
    ASSERT_TRUE(x.fs.sync()) << blocks;
    EXPECT_EQ(x.fs.journal_commits(), 1u) << blocks;
    // Two slots, the checkpoint's chain block, one journal block, the file.
    EXPECT_EQ(x.fs.info().free_blocks, blocks - 6) << blocks;
    Filesystem again(x.dev, x.mem);
    ASSERT_TRUE(again.mount());
    EXPECT_EQ(again.info().free_blocks, blocks - 6) << blocks;
  }
}

TEST(Fs, UnsyncedChangesVanishAtRemount) {
  Fixture x;
  auto f = mkfile(x.fs, x.fs.root(), "a", std::string(5000, 'a'));
  ASSERT_TRUE(x.fs.sync());
  ASSERT_TRUE(x.fs.write(f, 100, bytes(std::string(6000, 'b'))));
  mkfile(x.fs, x.fs.root(), "b", "new");
  ASSERT_TRUE(x.fs.remove(x.fs.root(), sv("a")) || true);
  Tree t = x.remount();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t["/a"].data, std::string(5000, 'a'));  // copy on write kept the synced blocks
}

TEST(Fs, HostileNamesAreRefusedAndChangeNothing) {
  Fixture x;
  std::string long_name(10 * 1024, 'n');
  const std::string bad[] = {"", ".", "..", "a/b", "/", std::string("a\0b", 3), long_name, std::string(256, 'x')};
  for (const auto& n : bad) {
    auto r = x.fs.create(x.fs.root(), sv(n), Kind::File);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Err::InvalidArgument) << r.error().detail;
    EXPECT_FALSE(x.fs.lookup(x.fs.root(), sv(n)));
  }
  EXPECT_TRUE(x.fs.create(x.fs.root(), sv(std::string(255, 'x')), Kind::File));
  EXPECT_EQ(x.fs.info().nodes, 2u);
}

TEST(Fs, TreeRules) {
  Fixture x;
  auto a = *x.fs.create(x.fs.root(), sv("a"), Kind::Dir);
  auto b = *x.fs.create(a, sv("b"), Kind::Dir);
  mkfile(x.fs, b, "f", "data");
  EXPECT_EQ(x.fs.create(a, sv("b"), Kind::File).error().code, Err::AlreadyExists);
  EXPECT_EQ(x.fs.remove(x.fs.root(), sv("a")).error().code, Err::Failed);  // not empty
  EXPECT_EQ(x.fs.rename(x.fs.root(), sv("a"), b, sv("loop")).error().code, Err::InvalidArgument);
  EXPECT_EQ(x.fs.rename(a, sv("b"), a, sv("b")).error().code, Err::AlreadyExists);
  ASSERT_TRUE(x.fs.rename(b, sv("f"), x.fs.root(), sv("g")));
  EXPECT_TRUE(x.fs.within(b, a));
  EXPECT_FALSE(x.fs.within(a, b));
  ASSERT_TRUE(x.fs.remove(a, sv("b")));
  EXPECT_EQ(x.fs.stat(b).error().code, Err::NotFound);  // a stale ref never reaches another node
  auto c = *x.fs.create(a, sv("c"), Kind::File);
  EXPECT_EQ(x.fs.stat(b).error().code, Err::NotFound);
  EXPECT_TRUE(x.fs.stat(c));
  EXPECT_EQ(x.fs.read(a, 0, MutBytes()).error().code, Err::Failed);  // a directory has no bytes
  ASSERT_TRUE(x.fs.sync());
  Tree t = x.remount();
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t["/g"].data, "data");
  EXPECT_TRUE(t.count("/a/c"));
}

TEST(Fs, HolesTruncateAndLimits) {
  Fixture x;
  auto f = *x.fs.create(x.fs.root(), sv("f"), Kind::File);
  ASSERT_TRUE(x.fs.write(f, 3 * kBlockSize + 5, bytes("end")));
  EXPECT_EQ(x.fs.stat(f)->blocks, 1u);  // the gap is a hole
  std::string got(3 * kBlockSize + 8, 'z');
  ASSERT_EQ(*x.fs.read(f, 0, MutBytes(reinterpret_cast<uint8_t*>(got.data()), got.size())), got.size());
  EXPECT_EQ(got, std::string(3 * kBlockSize + 5, '\0') + "end");
  ASSERT_TRUE(x.fs.truncate(f, 3 * kBlockSize + 6));  // keeps "e", zeroes the rest of the block
  ASSERT_TRUE(x.fs.truncate(f, 3 * kBlockSize + 8));
  ASSERT_EQ(*x.fs.read(f, 3 * kBlockSize + 5, MutBytes(reinterpret_cast<uint8_t*>(got.data()), 3)), 3u);
  EXPECT_EQ(got.substr(0, 3), std::string("e\0\0", 3));
  uint64_t huge = ~uint64_t{0} - 2;
  EXPECT_EQ(x.fs.write(f, huge, bytes("abc")).error().code, Err::InvalidArgument);
  EXPECT_EQ(x.fs.write(f, x.fs.max_file_size(), bytes("a")).error().code, Err::InvalidArgument);
  EXPECT_EQ(x.fs.truncate(f, huge).error().code, Err::InvalidArgument);
  uint8_t b[4];
  EXPECT_EQ(*x.fs.read(f, huge, MutBytes(b, 4)), 0u);
}

TEST(Fs, FullDeviceRefusesAndKeepsState) {
  Fixture x(32);
  auto f = *x.fs.create(x.fs.root(), sv("fill"), Kind::File);
  std::string chunk(kBlockSize, 'f');
  uint64_t off = 0;
  for (;;) {
    auto st = x.fs.write(f, off, bytes(chunk));
    if (!st) {
      EXPECT_EQ(st.error().code, Err::Overloaded);
      break;
    }
    off += chunk.size();
  }
  EXPECT_EQ(x.fs.stat(f)->size, off);
  EXPECT_EQ(x.fs.info().free_blocks, 0u);
  // A multi-block write that does not fit writes nothing at all.
  ASSERT_TRUE(x.fs.truncate(f, off - 2 * kBlockSize));
  EXPECT_EQ(x.fs.write(f, off - 2 * kBlockSize, bytes(std::string(4 * kBlockSize, 'g'))).error().code, Err::Overloaded);
  EXPECT_EQ(x.fs.stat(f)->size, off - 2 * kBlockSize);
  // The metadata needs a block too: free some and sync.
  ASSERT_TRUE(x.fs.truncate(f, off - 4 * kBlockSize));
  ASSERT_TRUE(x.fs.sync());
  Tree t = x.remount();
  EXPECT_EQ(t["/fill"].data, std::string(off - 4 * kBlockSize, 'f'));
}

TEST(Fs, DeviceErrorDuringSyncKeepsTheLastCommit) {
  Fixture x;
  mkfile(x.fs, x.fs.root(), "kept", "v1");
  ASSERT_TRUE(x.fs.sync());
  mkfile(x.fs, x.fs.root(), "lost", "v2");
  x.dev.fail_writes_after = 0;
  EXPECT_EQ(x.fs.sync().error().code, Err::Failed);
  x.dev.fail_writes_after = -1;
  Tree t = x.remount();
  EXPECT_EQ(t.size(), 1u);
  ASSERT_TRUE(x.fs.sync());  // the same in-memory tree commits once the device works
  EXPECT_EQ(x.remount().size(), 2u);
}

TEST(Fs, DeviceErrorMidWriteKeepsWhatLandedAndLeaksNothing) {
  Fixture x;
  auto f = *x.fs.create(x.fs.root(), sv("f"), Kind::File);
  uint64_t free_before = x.fs.info().free_blocks;
  // From offset 100: the partial first block is one device write, the two
  // whole blocks after it a second (one run), the tail a third.
  x.dev.fail_writes_after = 1;  // the first block lands, the run fails
  EXPECT_EQ(x.fs.write(f, 100, bytes(std::string(3 * kBlockSize, 'w'))).error().code, Err::Failed);
  x.dev.fail_writes_after = -1;
  EXPECT_EQ(x.fs.stat(f)->size, kBlockSize);
  EXPECT_EQ(x.fs.info().free_blocks, free_before - 1);
  ASSERT_TRUE(x.fs.sync());
  EXPECT_EQ(x.remount()["/f"].data, std::string(100, '\0') + std::string(kBlockSize - 100, 'w'));
}

TEST(Fs, FailedRunWriteChangesNothing) {
  Fixture x;
  auto f = *x.fs.create(x.fs.root(), sv("f"), Kind::File);
  mkfile(x.fs, x.fs.root(), "g", std::string(2 * kBlockSize, 'a'));
  ASSERT_TRUE(x.fs.sync());
  auto g = *x.fs.lookup(x.fs.root(), sv("g"));
  uint64_t free_before = x.fs.info().free_blocks;
  x.dev.fail_writes_after = 0;
  EXPECT_FALSE(x.fs.write(f, 0, bytes(std::string(3 * kBlockSize, 'w'))));
  // Over committed blocks too: the copies are released, the map kept.
  EXPECT_FALSE(x.fs.write(g, 0, bytes(std::string(2 * kBlockSize, 'b'))));
  x.dev.fail_writes_after = -1;
  EXPECT_EQ(x.fs.stat(f)->size, 0u);
  EXPECT_EQ(x.fs.info().free_blocks, free_before);
  ASSERT_TRUE(x.fs.sync());
  Tree t = x.remount();
  EXPECT_EQ(t["/f"].data, "");
  EXPECT_EQ(t["/g"].data, std::string(2 * kBlockSize, 'a'));
}

// Whole blocks that land next to each other on the device move in one
// device call each way (a sequential write or read of a new file).
TEST(Fs, WholeBlockRunsAreOneDeviceCall) {
  Fixture x(1024);
  auto f = *x.fs.create(x.fs.root(), sv("f"), Kind::File);
  std::string data(8 * kBlockSize, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 13 + (i >> 12));
  uint64_t before = x.dev.writes;
  ASSERT_TRUE(x.fs.write(f, 0, bytes(data)));
  EXPECT_EQ(x.dev.writes - before, 1u);
  std::string back(data.size(), '\0');
  auto n = x.fs.read(f, 0, MutBytes(reinterpret_cast<uint8_t*>(back.data()), back.size()));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, data.size());
  EXPECT_EQ(back, data);
  // Unaligned reads and writes across the run still see the same bytes.
  std::string mid(2 * kBlockSize, 'm');
  ASSERT_TRUE(x.fs.write(f, 3 * kBlockSize - 7, bytes(mid)));
  data.replace(3 * kBlockSize - 7, mid.size(), mid);
  ASSERT_TRUE(x.fs.sync());
  EXPECT_EQ(x.remount()["/f"].data, data);
}

TEST(Fs, DamagedSuperblocksFallBackOrRefuse) {
  Fixture x;
  mkfile(x.fs, x.fs.root(), "one", "1");
  ASSERT_TRUE(x.fs.sync());  // generation 2, slot 0
  mkfile(x.fs, x.fs.root(), "two", "2");
  ASSERT_TRUE(x.fs.sync());  // generation 3, slot 1
  x.dev.image[1 * kBlockSize + 20] ^= 1;  // newest superblock damaged
  Tree t = x.remount();
  EXPECT_EQ(t.size(), 1u);
  x.dev.image[0 * kBlockSize + 20] ^= 1;
  Filesystem again(x.dev, x.mem);
  EXPECT_EQ(again.mount().error().code, Err::Corrupt);
  RamDevice blank(64);
  Filesystem none(blank, x.mem);
  EXPECT_EQ(none.mount().error().code, Err::NotFound);
}

TEST(Fs, FormatHidesAnOlderFilesystem) {
  Fixture x;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(x.fs.sync());
  Filesystem fresh(x.dev, x.mem);
  ASSERT_TRUE(fresh.format());
  mkfile(fresh, fresh.root(), "new", "x");
  EXPECT_TRUE(x.remount().empty());
}

TEST(Fs, ManyFilesAndBlocksAreReused) {
  Fixture x(512);
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 200; ++i) mkfile(x.fs, x.fs.root(), "f" + std::to_string(i), std::string(100 + i, 'a' + round));
    ASSERT_TRUE(x.fs.sync());
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(x.fs.remove(x.fs.root(), sv("f" + std::to_string(i))));
    ASSERT_TRUE(x.fs.sync());
  }
  // Everything freed once the commit that dropped it is durable, but for
  // the metadata a journal commit builds on: the checkpoint's chain and at
  // most block_count / 16 journal blocks.
  EXPECT_GE(x.fs.info().free_blocks, 512u - 2 - 1 - 512 / 16);
  EXPECT_TRUE(x.remount().empty());
}

}  // namespace
}  // namespace capos::fs::test
