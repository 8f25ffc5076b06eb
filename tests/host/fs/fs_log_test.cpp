// The metadata log (lib/fs/fs_log.cpp, format v3): a small commit appends
// one log block of changed node records whatever the number of files, the
// tree comes back whole at mount, a damaged log falls back to the commit
// before, a log that would leave no tree is refused, and version 1 and 2
// images are refused by name.
#include <gtest/gtest.h>

#include "lib/fs/log_format.h"
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

// Files of 1 KiB, each created, written and synced, as fsbench does;
// returns the blocks written.
uint64_t create_and_sync(Filesystem& fs, RamDevice& dev, int from, int to) {
  dev.recording = true;
  dev.log.clear();
  for (int i = from; i < to; ++i) {
    auto f = fs.create(fs.root(), sv("file-number-" + std::to_string(i)), Kind::File);
    EXPECT_TRUE(f);
    std::string data(1024, static_cast<char>('a' + i % 26));
    EXPECT_TRUE(fs.write(*f, 0, bytes(data)));
    EXPECT_TRUE(fs.sync());
  }
  dev.recording = false;
  return blocks_written(dev);
}

TEST(FsLog, SmallCommitsAppendOneBlockWhateverTheFileCount) {
  MallocAllocator mem;
  RamDevice full_dev(4096), log_dev(4096);
  Filesystem full(full_dev, mem), logged(log_dev, mem);
  ASSERT_TRUE(full.format());
  ASSERT_TRUE(logged.format());
  full.set_log_limit(0);
  uint64_t full_blocks = create_and_sync(full, full_dev, 0, 1000);
  uint64_t log_blocks = create_and_sync(logged, log_dev, 0, 1000);
  EXPECT_EQ(full.log_commits(), 0u);
  EXPECT_GT(logged.log_commits(), 900u);
  // Checkpoints only write the whole image (up to 14 blocks) each time;
  // the log writes one block per commit (the file's two records and the
  // commit record) plus a checkpoint every 64 commits.
  EXPECT_LT(log_blocks * 2, full_blocks) << log_blocks << " vs " << full_blocks;
  // A log commit at 1,000 files: the data block, one log block, the
  // superblock — as at 10 files.
  uint64_t before = logged.log_commits();
  uint64_t one = create_and_sync(logged, log_dev, 1000, 1001);
  ASSERT_EQ(logged.log_commits(), before + 1);
  EXPECT_EQ(one, 3u);
  Tree want = dump(logged);
  Filesystem again(log_dev, mem);
  ASSERT_TRUE(again.mount());
  EXPECT_EQ(dump(again), want);
  // Mounted on a log, it keeps logging on top of it.
  auto f = again.create(again.root(), sv("after-mount"), Kind::File);
  ASSERT_TRUE(f);
  ASSERT_TRUE(again.sync());
  Filesystem third(log_dev, mem);
  ASSERT_TRUE(third.mount());
  EXPECT_TRUE(third.lookup(third.root(), sv("after-mount")));
}

// Renames, removals, truncations and a slot reused between two commits
// all replay to the tree that was synced.
TEST(FsLog, EveryChangeReplays) {
  MallocAllocator mem;
  RamDevice dev(1024);
  Filesystem fs(dev, mem);
  ASSERT_TRUE(fs.format());
  NodeRef d = *fs.create(fs.root(), sv("d"), Kind::Dir);
  NodeRef e = *fs.create(d, sv("e"), Kind::Dir);
  NodeRef a = *fs.create(fs.root(), sv("a"), Kind::File);
  ASSERT_TRUE(fs.write(a, 0, bytes(std::string(3 * kBlockSize + 5, 'a'))));
  ASSERT_TRUE(fs.sync());
  ASSERT_TRUE(fs.rename(fs.root(), sv("a"), e, sv("moved")));
  ASSERT_TRUE(fs.rename(d, sv("e"), fs.root(), sv("e2")));
  ASSERT_TRUE(fs.sync());
  NodeRef moved = *fs.lookup(e, sv("moved"));
  ASSERT_TRUE(fs.truncate(moved, kBlockSize + 1));
  ASSERT_TRUE(fs.remove(fs.root(), sv("d")));
  NodeRef tmp = *fs.create(fs.root(), sv("tmp"), Kind::File);  // made and removed before the commit
  ASSERT_TRUE(fs.write(tmp, 0, bytes("gone")));
  ASSERT_TRUE(fs.remove(fs.root(), sv("tmp")));
  NodeRef reuse = *fs.create(fs.root(), sv("reuse"), Kind::File);  // takes d's slot
  ASSERT_TRUE(fs.write(reuse, 9000, bytes("tail")));  // a hole, then data
  ASSERT_TRUE(fs.sync());
  EXPECT_EQ(fs.checkpoint_commits(), 1u);
  Tree want = dump(fs);
  Filesystem again(dev, mem);
  ASSERT_TRUE(again.mount());
  EXPECT_EQ(dump(again), want);
  EXPECT_EQ(again.info().free_blocks, fs.info().free_blocks);
}

// The newest superblock, read off the device.
Super newest_super(RamDevice& dev) {
  auto a = decode_super(Bytes(dev.image.data(), kBlockSize), dev.block_count());
  auto b = decode_super(Bytes(dev.image.data() + kBlockSize, kBlockSize), dev.block_count());
  if (!a) return *b;
  if (!b) return *a;
  return a->generation > b->generation ? *a : *b;
}

TEST(FsLog, ADamagedLogBlockFallsBackToTheCommitBefore) {
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
  ASSERT_GE(s.log_blocks, 2u);
  dev.image[s.log_head * kBlockSize + 100] ^= 0x40;
  Filesystem again(dev, mem);
  ASSERT_TRUE(again.mount());
  EXPECT_EQ(dump(again), before);
  // With both slots pointing at damage, the mount is refused, by reason.
  dev.image[s.log_head * kBlockSize + 100] ^= 0x40;
  uint64_t older_head = decode_log(Bytes(dev.image.data() + s.log_head * kBlockSize, kBlockSize), 1024)->prev;
  dev.image[older_head * kBlockSize + 40] ^= 0x01;
  Filesystem broken(dev, mem);
  auto st = broken.mount();
  ASSERT_FALSE(st);
  EXPECT_STREQ(st.error().detail, "log block checksum mismatch");
}

// Appends one commit of hand-made records to the device's newest commit
// (a log block at `at`, the next superblock), as a hostile or buggy
// writer could; checksums all correct.
void append_commit(RamDevice& dev, const std::vector<uint8_t>& records, uint64_t at) {
  Super s = newest_super(dev);
  uint64_t gen = s.generation + 1;
  std::vector<uint8_t> payload = records;
  payload.resize(records.size() + kLogCommitBytes);
  uint32_t count = 0;
  for (size_t i = 0; i < records.size();) {  // count them: type byte first
    ++count;
    if (records[i] == static_cast<uint8_t>(LogType::Removed)) {
      i += kLogRemovedBytes;
    } else {
      i += log_node_bytes(records[i + 2], get_u32(&records[i + 12]));
    }
  }
  encode_log_commit(gen, count, crc32c(Bytes(records.data(), records.size())), payload.data() + records.size());
  LogHeader h{s.log_blocks, gen, s.log_head, static_cast<uint32_t>(payload.size())};
  encode_log(h, Bytes(payload.data(), payload.size()), MutBytes(dev.image.data() + at * kBlockSize, kBlockSize));
  s.generation = gen;
  s.log_blocks += 1;
  s.log_head = at;
  std::vector<uint8_t> sb(kBlockSize, 0);
  encode_super(s, MutBytes(sb.data(), sb.size()));
  std::copy(sb.begin(), sb.end(), dev.image.begin() + (gen % kSuperSlots) * kBlockSize);
}

void put_node(std::vector<uint8_t>* out, uint32_t id, uint32_t parent, Kind kind, const std::string& name) {
  size_t at = out->size();
  out->resize(at + log_node_bytes(static_cast<uint32_t>(name.size()), 0));
  LogNode n{id, parent, kind, nullptr, static_cast<uint32_t>(name.size()), 0, 7, nullptr, 0};
  encode_log_node(n, out->data() + at);
  std::memcpy(out->data() + at + kLogNodeBytes, name.data(), name.size());
}

TEST(FsLog, ALogThatLeavesNoTreeIsRefused) {
  struct Case {
    const char* what;
    std::vector<uint8_t> records;
    const char* why;
  };
  std::vector<Case> cases;
  {  // ids 1 and 2 (the directories a and b) made each other's parent
    std::vector<uint8_t> r;
    put_node(&r, 1, 2, Kind::Dir, "a");
    put_node(&r, 2, 1, Kind::Dir, "b");
    cases.push_back({"cycle", r, "log leaves a directory cycle"});
  }
  {
    std::vector<uint8_t> r;
    put_node(&r, 3, 40, Kind::File, "orphan");
    cases.push_back({"missing parent", r, "log leaves a node without its parent"});
  }
  {
    std::vector<uint8_t> r;
    put_node(&r, 3, 0, Kind::File, "a");
    cases.push_back({"duplicate name", r, "two entries with the same name in one directory"});
  }
  {
    std::vector<uint8_t> r;
    put_node(&r, 3, 2, Kind::File, "under-a-file");  // 2 is the file b
    cases.push_back({"parent is a file", r, "parent is not a directory"});
  }
  {
    std::vector<uint8_t> r(kLogRemovedBytes, 0);
    r[0] = static_cast<uint8_t>(LogType::Removed);
    put_u32(r.data() + 4, 1);  // a, which holds c
    cases.push_back({"removed a non-empty directory", r, "log leaves a node without its parent"});
  }
  for (const Case& c : cases) {
    MallocAllocator mem;
    RamDevice dev(256);
    Filesystem fs(dev, mem);
    ASSERT_TRUE(fs.format());
    NodeRef a = *fs.create(fs.root(), sv("a"), Kind::Dir);  // id 1
    ASSERT_TRUE(fs.create(fs.root(), sv("b"), Kind::File));  // id 2
    ASSERT_TRUE(fs.create(a, sv("c"), Kind::File));          // id 3
    ASSERT_TRUE(fs.sync());
    Tree good = dump(fs);
    append_commit(dev, c.records, 200);
    Filesystem again(dev, mem);
    ASSERT_TRUE(again.mount()) << c.what;  // the slot before still mounts
    EXPECT_EQ(dump(again), good) << c.what;
    // With the older slot gone, the reason is the replay's.
    Super s = newest_super(dev);
    std::fill(dev.image.begin() + ((s.generation + 1) % kSuperSlots) * kBlockSize,
              dev.image.begin() + ((s.generation + 1) % kSuperSlots + 1) * kBlockSize, 0);
    Filesystem broken(dev, mem);
    auto st = broken.mount();
    ASSERT_FALSE(st) << c.what;
    EXPECT_STREQ(st.error().detail, c.why) << c.what;
  }
}

TEST(FsLog, OlderFormatsAreRefusedByName) {
  struct Old {
    const uint8_t* magic;
    const char* why;
  } olds[] = {{kSuperMagicV1, "capOS filesystem format v1: make the image again with mkfs-capos"},
              {kSuperMagicV2, "capOS filesystem format v2: make the image again with mkfs-capos"}};
  for (const Old& o : olds) {
    MallocAllocator mem;
    RamDevice dev(64);
    Filesystem fs(dev, mem);
    ASSERT_TRUE(fs.format());
    for (uint64_t slot = 0; slot < kSuperSlots; ++slot) std::memcpy(dev.image.data() + slot * kBlockSize, o.magic, 8);
    Filesystem again(dev, mem);
    auto st = again.mount();
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Err::Unsupported);
    EXPECT_STREQ(st.error().detail, o.why);
  }
}

TEST(FsLog, LogBlocksRoundTripAndRefuseDamage) {
  uint8_t block[kBlockSize];
  uint8_t data[100];
  for (int i = 0; i < 100; ++i) data[i] = static_cast<uint8_t>(i);
  LogHeader h{3, 9, 17, 100};
  encode_log(h, Bytes(data, 100), MutBytes(block, kBlockSize));
  auto got = decode_log(Bytes(block, kBlockSize), 64);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->index, 3u);
  EXPECT_EQ(got->generation, 9u);
  EXPECT_EQ(got->prev, 17u);
  EXPECT_EQ(got->payload, 100u);
  EXPECT_EQ(std::memcmp(block + kLogHeader, data, 100), 0);
  struct Bad {
    LogHeader h;
    const char* why;
  } bad[] = {
      {{3, 9, 17, 0}, "log block payload size"},
      {{3, 9, 17, kLogPayload + 1}, "log block payload size"},
      {{0, 9, 17, 100}, "log block points outside the device"},
      {{3, 9, 0, 100}, "log block points outside the device"},
      {{3, 9, 64, 100}, "log block points outside the device"},
  };
  for (const Bad& b : bad) {
    encode_log(b.h, Bytes(data, 100), MutBytes(block, kBlockSize));
    auto r = decode_log(Bytes(block, kBlockSize), 64);
    ASSERT_FALSE(r) << b.why;
    EXPECT_STREQ(r.error().detail, b.why);
  }
  encode_log(h, Bytes(data, 100), MutBytes(block, kBlockSize));
  block[kLogHeader + 7] ^= 1;
  EXPECT_STREQ(decode_log(Bytes(block, kBlockSize), 64).error().detail, "log block checksum mismatch");
}

}  // namespace
}  // namespace capos::fs::test
