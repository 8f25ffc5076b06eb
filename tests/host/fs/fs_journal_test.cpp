// The metadata journal (lib/fs/fs_journal.cpp, format v2): a commit that
// changes a few pages of the metadata writes only those, the tree comes
// back whole at mount, a damaged journal falls back to the commit before,
// and a version 1 image is refused by name.
#include <gtest/gtest.h>

#include "tests/host/fs/fs_harness.h"

namespace capos::fs::test {
namespace {

// Blocks written (not calls) while recording.
uint64_t blocks_written(const RamDevice& dev) {
  uint64_t n = 0;
  for (const DevOp& op : dev.log)
    if (!op.flush) n += op.data.size() / kBlockSize;
  return n;
}

// 1,000 files of 1 KiB, each created, written and synced, as fsbench does;
// returns the blocks written.
uint64_t create_and_sync(Filesystem& fs, RamDevice& dev) {
  dev.recording = true;
  dev.log.clear();
  for (int i = 0; i < 1000; ++i) {
    auto f = fs.create(fs.root(), sv("file-number-" + std::to_string(i)), Kind::File);
    EXPECT_TRUE(f);
    std::string data(1024, static_cast<char>('a' + i % 26));
    EXPECT_TRUE(fs.write(*f, 0, bytes(data)));
    EXPECT_TRUE(fs.sync());
  }
  dev.recording = false;
  return blocks_written(dev);
}

TEST(FsJournal, SmallCommitsWriteOnlyTheChangedPages) {
  MallocAllocator mem;
  RamDevice full_dev(4096), journal_dev(4096);
  Filesystem full(full_dev, mem), journaled(journal_dev, mem);
  ASSERT_TRUE(full.format());
  ASSERT_TRUE(journaled.format());
  full.set_journal_limit(0);
  uint64_t full_blocks = create_and_sync(full, full_dev);
  uint64_t journal_blocks = create_and_sync(journaled, journal_dev);
  EXPECT_EQ(full.journal_commits(), 0u);
  EXPECT_GT(journaled.journal_commits(), 900u);
  // The image grows to 14 pages: the whole image each time against about
  // two pages (the header's and the newest record's) plus a checkpoint
  // every 32 commits or so (data and superblocks alike on both sides).
  EXPECT_LT(journal_blocks * 2, full_blocks) << journal_blocks << " vs " << full_blocks;
  Tree want = dump(full);
  Filesystem again(journal_dev, mem);
  ASSERT_TRUE(again.mount());
  EXPECT_EQ(dump(again), want);
  EXPECT_EQ(dump(journaled), want);
  // Mounted on a journal, it keeps journaling on top of it.
  auto f = again.create(again.root(), sv("after-mount"), Kind::File);
  ASSERT_TRUE(f);
  ASSERT_TRUE(again.sync());
  Filesystem third(journal_dev, mem);
  ASSERT_TRUE(third.mount());
  EXPECT_TRUE(third.lookup(third.root(), sv("after-mount")));
}

// The newest superblock's journal head, read off the device.
Super newest_super(RamDevice& dev) {
  auto a = decode_super(Bytes(dev.image.data(), kBlockSize), dev.block_count());
  auto b = decode_super(Bytes(dev.image.data() + kBlockSize, kBlockSize), dev.block_count());
  if (!a) return *b;
  if (!b) return *a;
  return a->generation > b->generation ? *a : *b;
}

TEST(FsJournal, ADamagedJournalBlockFallsBackToTheCommitBefore) {
  MallocAllocator mem;
  RamDevice dev(1024);
  Filesystem fs(dev, mem);
  ASSERT_TRUE(fs.format());
  ASSERT_TRUE(fs.create(fs.root(), sv("one"), Kind::File));
  ASSERT_TRUE(fs.sync());
  Tree before = dump(fs);
  ASSERT_TRUE(fs.create(fs.root(), sv("two"), Kind::File));
  ASSERT_TRUE(fs.sync());
  Super s = newest_super(dev);
  ASSERT_GE(s.journal_blocks, 2u);
  dev.image[s.journal_head * kBlockSize + 100] ^= 0x40;
  Filesystem again(dev, mem);
  ASSERT_TRUE(again.mount());
  EXPECT_EQ(dump(again), before);
  // With both slots pointing at damage, the mount is refused, by reason.
  dev.image[s.journal_head * kBlockSize + 100] ^= 0x40;
  // The older commit's newest journal block is the one before.
  uint64_t older_head = decode_journal(Bytes(dev.image.data() + s.journal_head * kBlockSize, kBlockSize), 1024)->prev;
  dev.image[older_head * kBlockSize + 200] ^= 0x01;
  Filesystem broken(dev, mem);
  auto st = broken.mount();
  ASSERT_FALSE(st);
  EXPECT_STREQ(st.error().detail, "journal block checksum mismatch");
}

TEST(FsJournal, AVersionOneImageIsRefusedByName) {
  MallocAllocator mem;
  RamDevice dev(64);
  Filesystem fs(dev, mem);
  ASSERT_TRUE(fs.format());
  for (uint64_t slot = 0; slot < kSuperSlots; ++slot) std::memcpy(dev.image.data() + slot * kBlockSize, kSuperMagicV1, 8);
  Filesystem again(dev, mem);
  auto st = again.mount();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, Err::Unsupported);
  EXPECT_STREQ(st.error().detail, "capOS filesystem format v1: make the image again with mkfs-capos");
}

TEST(FsJournal, JournalBlocksRoundTripAndRefuseDamage) {
  uint8_t block[kBlockSize];
  uint8_t data[100];
  for (int i = 0; i < 100; ++i) data[i] = static_cast<uint8_t>(i);
  JournalHeader h{3, 9, 17, 5000, 4000, 100};
  encode_journal(h, Bytes(data, 100), MutBytes(block, kBlockSize));
  auto got = decode_journal(Bytes(block, kBlockSize), 64);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->index, 3u);
  EXPECT_EQ(got->prev, 17u);
  EXPECT_EQ(got->offset, 4000u);
  EXPECT_EQ(got->length, 100u);
  EXPECT_EQ(std::memcmp(block + kJournalHeader + kPatchHeader, data, 100), 0);
  struct Bad {
    JournalHeader h;
    const char* why;
  } bad[] = {
      {{3, 9, 17, 5000, 4950, 100}, "journal patch outside the image"},
      {{3, 9, 17, 8, 0, 0}, "journal patch image size out of range"},
      {{0, 9, 17, 5000, 0, 100}, "journal block points outside the device"},
      {{3, 9, 0, 5000, 0, 100}, "journal block points outside the device"},
      {{3, 9, 64, 5000, 0, 100}, "journal block points outside the device"},
  };
  for (const Bad& b : bad) {
    encode_journal(b.h, Bytes(data, 100), MutBytes(block, kBlockSize));
    auto r = decode_journal(Bytes(block, kBlockSize), 64);
    ASSERT_FALSE(r) << b.why;
    EXPECT_STREQ(r.error().detail, b.why);
  }
  encode_journal(h, Bytes(data, 100), MutBytes(block, kBlockSize));
  block[kJournalHeader + kPatchHeader + 7] ^= 1;
  EXPECT_STREQ(decode_journal(Bytes(block, kBlockSize), 64).error().detail, "journal block checksum mismatch");
}

}  // namespace
}  // namespace capos::fs::test
