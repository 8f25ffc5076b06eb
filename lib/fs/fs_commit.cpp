// Commit, mount and format of the filesystem core: everything that puts
// the tree on the disk or takes it back (docs/storage.md, "Commit").
#include "lib/fs/fs.h"
#include "lib/fs/fs_node.h"
#include "lib/fs/fs_scratch.h"

namespace capos::fs {

using detail::bitmap_bytes;
using detail::get_bit;
using detail::Scratch;
using detail::set_bit;

namespace {

uint32_t run_count(const uint32_t* blocks, uint64_t n) {
  uint32_t runs = 0;
  for (uint64_t i = 0; i < n; ++i) {
    bool extends = i > 0 && ((blocks[i] == 0 && blocks[i - 1] == 0) ||
                             (blocks[i] != 0 && blocks[i - 1] != 0 && blocks[i] == blocks[i - 1] + 1));
    if (!extends) ++runs;
  }
  return runs;
}

}  // namespace

// Builds the in-memory tree from a validated image.
class MountSink final : public MetaSink {
 public:
  explicit MountSink(Filesystem& fs) : fs_(fs) {}
  FsStatus node(const MetaNode& m) override {
    uint32_t parent = m.parent_index == kNoParent ? 0 : m.parent_index;
    uint32_t i = CAPOS_TRY(fs_.new_node(parent, StrView(m.name, m.name_len), m.kind));
    if (i != seen_) return fs_fail(Err::Failed, "mount: node slots out of order");
    ++seen_;
    Filesystem::Node* n = fs_.nodes_[i];
    n->size = m.size;
    n->modified = m.modified;
    uint64_t nblocks = (m.size + kBlockSize - 1) / kBlockSize;
    if (nblocks) {
      CAPOS_TRY_STATUS(fs_.ensure_blocks(n, nblocks));
      n->nblocks = nblocks;
      uint64_t at = 0;
      for (uint32_t r = 0; r < m.run_count; ++r) {
        uint32_t start = get_u32(m.runs + r * kRunBytes);
        uint32_t len = get_u32(m.runs + r * kRunBytes + 4);
        for (uint32_t k = 0; k < len; ++k) n->blocks[at++] = start ? start + k : 0;
      }
    }
    return {};
  }

 private:
  Filesystem& fs_;
  uint32_t seen_ = 0;
};

// Parent-before-child order of the live nodes into `order` (node_count_
// entries); returns the image size.
FsResult<size_t> Filesystem::meta_size(uint32_t* order) const {
  Scratch placed_s(mem_, node_cap_ * sizeof(uint32_t));
  auto* placed = static_cast<uint32_t*>(placed_s.p);  // image index + 1, 0 = not yet
  if (!placed) return fs_fail(Err::Overloaded, "out of memory for the commit");
  for (uint32_t i = 0; i < node_cap_; ++i) placed[i] = 0;
  uint32_t count = 0;
  size_t bytes = kMetaHeaderBytes;
  for (uint32_t i = 0; i < node_cap_; ++i) {
    if (!nodes_[i] || placed[i]) continue;
    // Place the unplaced ancestors first, root side first: walk up to the
    // first placed one, then place the walked path in reverse.
    uint32_t depth = 0;
    for (uint32_t a = i; !placed[a]; a = nodes_[a]->parent) {
      order[count + depth++] = a;
      if (a == 0) break;
    }
    for (uint32_t k = 0; k < depth / 2; ++k) {
      uint32_t t = order[count + k];
      order[count + k] = order[count + depth - 1 - k];
      order[count + depth - 1 - k] = t;
    }
    for (uint32_t k = 0; k < depth; ++k) placed[order[count + k]] = count + k + 1;
    count += depth;
  }
  for (uint32_t k = 0; k < count; ++k) {
    const Node* n = nodes_[order[k]];
    bytes += kMetaRecordBytes + n->name_len + size_t{run_count(n->blocks, n->nblocks)} * kRunBytes;
  }
  if (bytes > kMaxMetaBytes) return fs_fail(Err::Overloaded, "metadata too large");
  return bytes;
}

void Filesystem::serialize(const uint32_t* order, uint8_t* out) const {
  // Image index of each node slot, from `order`.
  Scratch pos_s(mem_, node_cap_ * sizeof(uint32_t));
  auto* pos = static_cast<uint32_t*>(pos_s.p);
  for (uint32_t k = 0; k < node_count_; ++k) pos[order[k]] = k;
  put_u32(out, kMetaMagic);
  put_u32(out + 4, kImageVersion);
  put_u32(out + 8, node_count_);
  put_u32(out + 12, 0);
  uint8_t* p = out + kMetaHeaderBytes;
  for (uint32_t k = 0; k < node_count_; ++k) {
    const Node* n = nodes_[order[k]];
    uint32_t runs = run_count(n->blocks, n->nblocks);
    memset(p, 0, kMetaRecordBytes);
    put_u32(p, k == 0 ? kNoParent : pos[n->parent]);
    p[4] = static_cast<uint8_t>(n->kind);
    p[5] = n->name_len;
    put_u32(p + 8, runs);
    put_u64(p + 16, n->size);
    put_u64(p + 24, n->modified);
    p += kMetaRecordBytes;
    memcpy(p, n->name, n->name_len);
    p += n->name_len;
    for (uint64_t i = 0; i < n->nblocks;) {
      uint64_t j = i + 1;
      while (j < n->nblocks && ((n->blocks[i] == 0 && n->blocks[j] == 0) ||
                                (n->blocks[i] != 0 && n->blocks[j] == n->blocks[i] + (j - i))))
        ++j;
      put_u32(p, n->blocks[i]);
      put_u32(p + 4, static_cast<uint32_t>(j - i));
      p += kRunBytes;
      i = j;
    }
  }
}

// Runs at every commit, so it counts 64 blocks per step (a bit test per
// block was most of a small commit's instructions on a 256 MiB volume).
void Filesystem::recount_free() {
  uint64_t used = 0;
  uint64_t whole = block_count_ / 64;
  for (uint64_t w = 0; w < whole; ++w) {
    uint64_t a, b;
    memcpy(&a, live_ + w * 8, 8);
    memcpy(&b, committed_ + w * 8, 8);
    used += static_cast<uint64_t>(__builtin_popcountll(a | b));
  }
  for (uint64_t b = whole * 64; b < block_count_; ++b) used += live(b) || committed(b);
  // The superblock slots are never marked, and are never free.
  free_ = block_count_ - kSuperSlots - used;
}

// Serializes the tree; then, if few of its pages changed since the last
// commit and the journal has room, writes only those (fs_journal.cpp),
// otherwise a full checkpoint. Either way the blocks are fresh, so the
// last durable commit stays whole until the new superblock lands.
FsStatus Filesystem::write_commit() {
  Scratch order_s(mem_, size_t{node_count_} * sizeof(uint32_t));
  auto* order = static_cast<uint32_t*>(order_s.p);
  if (!order) return fs_fail(Err::Overloaded, "out of memory for the commit");
  size_t bytes = CAPOS_TRY(meta_size(order));
  Scratch image_s(mem_, bytes);
  auto* image = static_cast<uint8_t*>(image_s.p);
  if (!image) return fs_fail(Err::Overloaded, "out of memory for the commit");
  serialize(order, image);
  uint64_t chain_len = (bytes + kChainPayload - 1) / kChainPayload;
  // The journal holds on to its blocks until the next checkpoint, so a
  // small volume keeps it short: at most 1/16 of its blocks.
  uint32_t limit = static_cast<uint32_t>(min<uint64_t>(journal_limit_, block_count_ / 16));
  uint32_t room = image_ && last_.journal_blocks < limit ? limit - last_.journal_blocks : 0;
  Scratch crcs_s(mem_, 4 * image_pages(bytes));
  auto* crcs = static_cast<uint8_t*>(crcs_s.p);
  if (!crcs) return fs_fail(Err::Overloaded, "out of memory for the commit");
  Patch patches[kMaxJournalBlocks];
  uint32_t changed = diff_pages(image, bytes, crcs, patches, room);
  uint32_t crc = crc32c(Bytes(crcs, 4 * image_pages(bytes)));
  // A journal commit only when it writes no more blocks than a checkpoint.
  bool journaled = image_ && changed <= room && changed <= chain_len;
  FsStatus st = journaled ? write_journal(image, bytes, crc, patches, changed) : write_checkpoint(image, bytes, crc);
  if (!st) return st;
  // The new commit's image is the one the next commit is compared with.
  if (image_) mem_.release(image_);
  image_ = image;
  image_bytes_ = bytes;
  image_s.p = nullptr;
  if (page_crcs_) mem_.release(page_crcs_);
  page_crcs_ = crcs;
  crcs_s.p = nullptr;
  ++(journaled ? journal_commits_ : checkpoint_commits_);
  return {};
}

// Metadata blocks are marked live while the commit runs so nothing else
// takes them; land() moves them to the metadata set (they are not data).
FsStatus Filesystem::alloc_fresh(uint32_t* out, uint64_t count) {
  for (uint64_t got = 0; got < count; ++got) {
    auto b = alloc_block();
    if (!b) {
      for (uint64_t k = 0; k < got; ++k) release_block(out[k]);
      return fail(b.error());
    }
    out[got] = *b;
  }
  return {};
}

// Flush, the superblock of `s` into its slot, flush: the commit point.
FsStatus Filesystem::publish(Super s) {
  CAPOS_TRY_STATUS(dev_.flush());
  s.block_count = block_count_;
  memset(buf_, 0, kBlockSize);
  encode_super(s, MutBytes(buf_, kBlockSize));
  CAPOS_TRY_STATUS(dev_.write(s.generation % kSuperSlots, 1, Bytes(buf_, kBlockSize)));
  return dev_.flush();
}

// Once published, the new commit's blocks are the live data plus its
// metadata blocks (the `fresh` ones, and for a journal commit the
// checkpoint and journal it builds on); blocks only the previous commit
// used become free.
FsStatus Filesystem::land(FsStatus written, const Super& s, const uint32_t* fresh, uint64_t count, bool checkpoint) {
  FsStatus st = written ? publish(s) : written;
  if (!st) {
    for (uint64_t k = 0; k < count; ++k) release_block(fresh[k]);
    return st;
  }
  size_t map = bitmap_bytes(block_count_);
  generation_ = s.generation;
  last_ = s;
  last_.block_count = block_count_;
  if (checkpoint) memset(meta_, 0, map);
  for (uint64_t k = 0; k < count; ++k) set_bit(meta_, fresh[k]);
  // 8 bytes per step: every commit runs this over the whole volume.
  size_t i = 0;
  for (; i + 8 <= map; i += 8) {
    uint64_t a, b;
    memcpy(&a, live_ + i, 8);
    memcpy(&b, meta_ + i, 8);
    a |= b;
    memcpy(committed_ + i, &a, 8);
  }
  for (; i < map; ++i) committed_[i] = live_[i] | meta_[i];
  for (uint64_t k = 0; k < count; ++k) set_live(fresh[k], false);
  recount_free();
  return {};
}

// `crc`: the image CRC (over its pages' CRCs); the chain's own CRC, over
// the whole image, is taken here.
FsStatus Filesystem::write_checkpoint(const uint8_t* image, size_t bytes, uint32_t crc) {
  uint64_t chain_len = (bytes + kChainPayload - 1) / kChainPayload;
  if (chain_len > free_) return fs_fail(Err::Overloaded, "no space left for the metadata");
  Scratch chain_s(mem_, chain_len * sizeof(uint32_t));
  auto* chain = static_cast<uint32_t*>(chain_s.p);
  if (!chain) return fs_fail(Err::Overloaded, "out of memory for the commit");
  CAPOS_TRY_STATUS(alloc_fresh(chain, chain_len));
  uint64_t gen = generation_ + 1;
  FsStatus st = detail::write_runs(dev_, mem_, chain, chain_len, [&](uint64_t j, MutBytes out) {
    size_t off = j * kChainPayload;
    size_t len = bytes - off < kChainPayload ? bytes - off : kChainPayload;
    ChainHeader h{static_cast<uint32_t>(j), gen, j + 1 < chain_len ? chain[j + 1] : 0, static_cast<uint32_t>(len)};
    encode_chain(h, Bytes(image + off, len), out);
  });
  Super s;
  s.generation = gen;
  s.meta_head = chain[0];
  s.meta_blocks = chain_len;
  s.meta_bytes = bytes;
  s.meta_crc = crc32c(Bytes(image, bytes));
  s.checkpoint_generation = gen;
  s.image_bytes = bytes;
  s.image_crc = crc;
  return land(st, s, chain, chain_len, true);
}

FsStatus Filesystem::sync() {
  if (!mounted_) return fs_fail(Err::Failed, "filesystem not mounted");
  return write_commit();
}

FsStatus Filesystem::format() {
  reset();
  block_count_ = dev_.block_count();
  if (block_count_ > kMaxBlocks) block_count_ = kMaxBlocks;
  if (block_count_ < kMinBlocks) return fs_fail(Err::InvalidArgument, "device too small for a filesystem");
  live_ = static_cast<uint8_t*>(mem_.alloc(bitmap_bytes(block_count_)));
  committed_ = static_cast<uint8_t*>(mem_.alloc(bitmap_bytes(block_count_)));
  meta_ = static_cast<uint8_t*>(mem_.alloc(bitmap_bytes(block_count_)));
  if (!live_ || !committed_ || !meta_) {
    reset();
    return fs_fail(Err::Overloaded, "out of memory for the block bitmaps");
  }
  memset(live_, 0, bitmap_bytes(block_count_));
  memset(committed_, 0, bitmap_bytes(block_count_));
  memset(meta_, 0, bitmap_bytes(block_count_));
  generation_ = 0;
  next_serial_ = kRootSerial;
  auto root = new_node(0, StrView(), Kind::Dir);
  if (!root) {
    reset();
    return fail(root.error());
  }
  // Old superblocks (perhaps of a newer generation) must not survive.
  memset(buf_, 0, kBlockSize);
  FsStatus st = dev_.write(0, 1, Bytes(buf_, kBlockSize));
  if (st) st = dev_.write(1, 1, Bytes(buf_, kBlockSize));
  if (st) st = dev_.flush();
  mounted_ = true;
  recount_free();
  if (st) st = write_commit();
  if (!st) reset();
  return st;
}

// Follows the chain of `s` into `image`, marking its blocks in `chain_map`.
FsStatus Filesystem::load_chain(const Super& s, uint8_t* image, uint8_t* chain_map) {
  uint64_t b = s.meta_head;
  size_t at = 0;
  for (uint64_t k = 0; k < s.meta_blocks; ++k) {
    if (b < kSuperSlots || b >= block_count_) return fs_fail(Err::Corrupt, "metadata chain leaves the device");
    if (get_bit(chain_map, b)) return fs_fail(Err::Corrupt, "metadata chain loops");
    set_bit(chain_map, b);
    CAPOS_TRY_STATUS(dev_.read(b, 1, MutBytes(buf_, kBlockSize)));
    ChainHeader h = CAPOS_TRY(decode_chain(Bytes(buf_, kBlockSize), block_count_));
    bool last = k + 1 == s.meta_blocks;
    if (h.index != k || h.generation != s.checkpoint_generation || (h.next == 0) != last)
      return fs_fail(Err::Corrupt, "metadata chain does not belong to this commit");
    size_t want = last ? s.meta_bytes - at : kChainPayload;
    if (h.payload != want) return fs_fail(Err::Corrupt, "metadata block payload size");
    memcpy(image + at, buf_ + kChainHeader, want);
    at += want;
    b = h.next;
  }
  if (crc32c(Bytes(image, s.meta_bytes)) != s.meta_crc) return fs_fail(Err::Corrupt, "metadata checksum mismatch");
  return {};
}

FsStatus Filesystem::try_mount(const Super& s) {
  reset();
  block_count_ = s.block_count;
  size_t map = bitmap_bytes(block_count_);
  live_ = static_cast<uint8_t*>(mem_.alloc(map));
  committed_ = static_cast<uint8_t*>(mem_.alloc(map));
  meta_ = static_cast<uint8_t*>(mem_.alloc(map));
  if (!live_ || !committed_ || !meta_) return fs_fail(Err::Overloaded, "out of memory for the mount");
  memset(committed_, 0, map);
  memset(live_, 0, map);
  memset(meta_, 0, map);
  // live_ holds the metadata blocks for now: the journal's, then the chain's.
  uint8_t* image = nullptr;
  CAPOS_TRY_STATUS(load_journal(s, live_, &image));
  Scratch image_s(mem_, Scratch::Adopt{image});  // released on every failure below
  Bytes img(image, s.image_bytes);
  uint32_t count = CAPOS_TRY(meta_node_count(img));
  Scratch hash_s(mem_, (meta_hash_slots(count) + count) * sizeof(uint32_t));
  if (!hash_s.p) return fs_fail(Err::Overloaded, "out of memory for the mount");
  memcpy(committed_, live_, map);  // parse_meta adds the data blocks
  MountSink sink(*this);
  generation_ = s.generation;
  next_serial_ = kRootSerial;
  mounted_ = true;  // new_node needs the tables; undone by reset() on failure
  CAPOS_TRY(parse_meta(img, block_count_, MutBytes(committed_, map),
                       Span<uint32_t>(static_cast<uint32_t*>(hash_s.p), meta_hash_slots(count) + count), &sink));
  // live = committed minus the metadata blocks.
  memcpy(meta_, live_, map);
  for (size_t i = 0; i < map; ++i) live_[i] = committed_[i] & static_cast<uint8_t>(~meta_[i]);
  image_ = image;
  image_bytes_ = s.image_bytes;
  image_s.p = nullptr;
  last_ = s;
  recount_free();
  return {};
}

FsStatus Filesystem::mount() {
  uint64_t device = dev_.block_count();
  if (device > kMaxBlocks) device = kMaxBlocks;
  if (device < kMinBlocks) return fs_fail(Err::InvalidArgument, "device too small for a filesystem");
  FsResult<Super> slot[kSuperSlots] = {fs_fail(Err::NotFound, ""), fs_fail(Err::NotFound, "")};
  for (uint64_t k = 0; k < kSuperSlots; ++k) {
    CAPOS_TRY_STATUS(dev_.read(k, 1, MutBytes(buf_, kBlockSize)));
    slot[k] = decode_super(Bytes(buf_, kBlockSize), device);
  }
  FsError why{Err::NotFound, "no capOS filesystem on the device"};
  // Newest first; an older slot is the fallback for a torn commit.
  bool swap = slot[0] && slot[1] && slot[1]->generation > slot[0]->generation;
  for (uint64_t k = 0; k < kSuperSlots; ++k) {
    auto& s = slot[swap ? 1 - k : k];
    if (!s) {
      if (why.code == Err::NotFound) why = s.error();
      continue;
    }
    FsStatus st = try_mount(*s);
    if (st) {
      alloc_cursor_ = kSuperSlots;
      return {};
    }
    why = st.error();
    reset();
  }
  if (!slot[0] && !slot[1] && slot[0].error().code == Err::NotFound && slot[1].error().code == Err::NotFound)
    return fs_fail(Err::NotFound, "no capOS filesystem on the device");
  return fail(why);
}

}  // namespace capos::fs
