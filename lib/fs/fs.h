// The capOS filesystem core (docs/storage.md): a copy-on-write tree over
// a block store, committed as a whole by `sync`. File data blocks that the
// last durable commit references are never overwritten; new data goes to
// blocks free in both the live tree and the last commit. A commit writes
// the metadata image (every node, its name and its block runs) — as a
// checksummed chain of fresh blocks (a checkpoint), or, when few of its
// pages changed, only those pages as journal blocks on top of the last
// checkpoint — flushes, writes the superblock of the next generation into
// the other of two slots, and flushes again.
// Mount takes the newest superblock whose chain and image check out, so a
// crash at any point leaves the last synced state (or the one being
// committed, if its superblock landed): no repair pass exists or is needed.
//
// Portable: used by the fsd service, tools/mkfs-capos and host tests.
// Not thread-safe: one owner calls it (fsd serves one call at a time).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/cstring.h"
#include "lib/fs/format.h"
#include "lib/fs/volume.h"

namespace capos::fs {

// A disk in 4 KiB blocks. `write` may reach the medium in any order and
// torn until `flush` returns; after that it is durable.
class BlockStore {
 public:
  virtual uint64_t block_count() const = 0;
  virtual FsStatus read(uint64_t block, uint32_t count, MutBytes out) = 0;
  virtual FsStatus write(uint64_t block, uint32_t count, Bytes data) = 0;
  virtual FsStatus flush() = 0;

 protected:
  ~BlockStore() = default;
};

// Where the filesystem's memory comes from (rt::malloc in a service,
// malloc on the host). `alloc` returns nullptr when out of memory.
class Allocator {
 public:
  virtual void* alloc(size_t bytes) = 0;
  virtual void release(void* p) = 0;

 protected:
  ~Allocator() = default;
};

class Filesystem final : public Volume {
 public:
  Filesystem(BlockStore& dev, Allocator& mem) : dev_(dev), mem_(mem) {}
  ~Filesystem();
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  // Writes an empty filesystem over the whole device (generation 1).
  FsStatus format();
  // Loads the newest consistent commit. Refuses (and keeps nothing) if no
  // superblock slot holds one.
  FsStatus mount();
  bool mounted() const { return mounted_; }

  NodeRef root() const override { return NodeRef{0, kRootSerial}; }
  FsResult<NodeRef> lookup(NodeRef dir, StrView name) override;
  FsResult<NodeRef> create(NodeRef dir, StrView name, Kind kind) override;
  // Removes a file or an empty directory.
  FsStatus remove(NodeRef dir, StrView name) override;
  // Moves `from` in `from_dir` to `to` in `to_dir`; refuses to move a
  // directory below itself and to replace an existing entry.
  FsStatus rename(NodeRef from_dir, StrView from, NodeRef to_dir, StrView to) override;
  FsResult<NodeInfo> stat(NodeRef n) override;
  // The child of `dir` created next after `cursor` (0 = the first); NotFound at the end.
  FsResult<Entry> next_entry(NodeRef dir, uint64_t cursor) override;
  // Whether `n` is `ancestor` or lies below it.
  bool within(NodeRef n, NodeRef ancestor) const;

  // Bytes read (short only at the end of the file).
  FsResult<size_t> read(NodeRef file, uint64_t offset, MutBytes out) override;
  // All or nothing: space is checked before any block is written.
  FsStatus write(NodeRef file, uint64_t offset, Bytes data) override;
  FsStatus truncate(NodeRef file, uint64_t size) override;
  uint64_t max_file_size() const { return block_count_ * kBlockSize; }

  // Commits the tree: durable when this returns.
  FsStatus sync() override;
  FsInfo info() const override;
  StrView format_name() const override { return "capos-fs v2"; }
  // Most journal blocks on top of a checkpoint before the next commit
  // writes a full image again (kMaxJournalBlocks at most; 0: every commit
  // is a checkpoint). For tests.
  void set_journal_limit(uint32_t blocks) { journal_limit_ = blocks < kMaxJournalBlocks ? blocks : kMaxJournalBlocks; }
  // Commits so far that wrote only a journal, and full checkpoints.
  uint64_t journal_commits() const { return journal_commits_; }
  uint64_t checkpoint_commits() const { return checkpoint_commits_; }
  bool read_only() const override { return false; }

 private:
  struct Node;
  friend class MountSink;

  FsResult<Node*> node(NodeRef r) const;
  FsResult<Node*> dir_node(NodeRef r) const;
  FsResult<Node*> file_node(NodeRef r) const;
  int64_t find_child(uint32_t dir, StrView name) const;
  FsResult<uint32_t> new_node(uint32_t parent, StrView name, Kind kind);
  void free_node(uint32_t index);
  FsStatus ensure_blocks(Node* n, uint64_t count);
  FsResult<uint32_t> alloc_block();
  void release_block(uint32_t b);
  FsStatus write_block(Node* n, uint64_t i, uint32_t at, Bytes data);
  FsStatus write_whole(Node* n, uint64_t i, uint32_t count, Bytes data);
  void reset();

  // fs_commit.cpp
  FsResult<size_t> meta_size(uint32_t* order) const;
  void serialize(const uint32_t* order, uint8_t* out) const;
  FsStatus write_commit();
  FsStatus write_checkpoint(const uint8_t* image, size_t bytes, uint32_t crc);
  FsStatus publish(Super s);
  // `count` fresh blocks into `out`, marked live until the commit ends;
  // all or none.
  FsStatus alloc_fresh(uint32_t* out, uint64_t count);
  // Ends a commit whose blocks `fresh` were written (`written`): publishes
  // `s`, then adopts its block set; on any failure gives the blocks back.
  FsStatus land(FsStatus written, const Super& s, const uint32_t* fresh, uint64_t count, bool checkpoint);
  FsStatus try_mount(const Super& s);
  FsStatus load_chain(const Super& s, uint8_t* image, uint8_t* chain_map);
  void recount_free();
  // fs_journal.cpp: compares `image` with image_ page by page (kJournalData
  // bytes each): writes every page's CRC into `crcs` (4 bytes per page,
  // reusing image_'s for unchanged pages) and the first `max` changed
  // pages into `out`; returns how many changed.
  struct Patch {
    uint64_t offset;
    uint32_t length;
  };
  uint32_t diff_pages(const uint8_t* image, size_t bytes, uint8_t* crcs, Patch* out, uint32_t max) const;
  FsStatus write_journal(const uint8_t* image, size_t bytes, uint32_t crc, const Patch* patches, uint32_t count);
  // Reads the journal of `s` (marking its blocks in `map`), then builds
  // the image after it into `*image` (allocated here, image_bytes large).
  FsStatus load_journal(const Super& s, uint8_t* map, uint8_t** image);

  bool live(uint64_t b) const { return (live_[b / 8] >> (b % 8)) & 1; }
  bool committed(uint64_t b) const { return (committed_[b / 8] >> (b % 8)) & 1; }
  void set_live(uint64_t b, bool v);

  BlockStore& dev_;
  Allocator& mem_;
  bool mounted_ = false;
  uint64_t block_count_ = 0;
  uint64_t generation_ = 0;
  uint64_t next_serial_ = kRootSerial + 1;
  uint64_t free_ = 0;         // blocks neither live nor committed
  uint64_t alloc_cursor_ = kSuperSlots;
  Node** nodes_ = nullptr;   // by index; nullptr = free slot
  uint32_t node_cap_ = 0;
  uint32_t node_count_ = 0;
  uint8_t* live_ = nullptr;       // blocks the in-memory tree uses
  uint8_t* committed_ = nullptr;  // blocks the last durable commit uses (data and metadata)
  uint8_t* meta_ = nullptr;       // its metadata blocks: checkpoint chain and journal
  uint8_t* image_ = nullptr;      // its metadata image, to find what the next commit changes
  size_t image_bytes_ = 0;
  uint8_t* page_crcs_ = nullptr;  // the CRC of each of its pages (image_crc covers these)
  Super last_;                    // its superblock
  uint32_t journal_limit_ = kMaxJournalBlocks;
  uint64_t journal_commits_ = 0;
  uint64_t checkpoint_commits_ = 0;
  alignas(8) uint8_t buf_[kBlockSize];
};

}  // namespace capos::fs
