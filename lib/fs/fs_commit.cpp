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

uint32_t Filesystem::run_count(const uint32_t* blocks, uint64_t n) {
  uint32_t runs = 0;
  for (uint64_t i = 0; i < n; ++i) {
    bool extends = i > 0 && ((blocks[i] == 0 && blocks[i - 1] == 0) ||
                             (blocks[i] != 0 && blocks[i - 1] != 0 && blocks[i] == blocks[i - 1] + 1));
    if (!extends) ++runs;
  }
  return runs;
}

// Builds the in-memory tree from a validated image: each node at its id.
class MountSink final : public MetaSink {
 public:
  // `ids`: one entry per record, the image index's node id.
  MountSink(Filesystem& fs, uint32_t* ids) : fs_(fs), ids_(ids) {}
  FsStatus node(const MetaNode& m) override {
    Filesystem::Node* n = CAPOS_TRY(fs_.place_node(m.id));
    ids_[seen_++] = m.id;
    n->parent = m.parent_index == kNoParent ? 0 : ids_[m.parent_index];
    n->kind = m.kind;
    n->name_len = static_cast<uint8_t>(m.name_len);
    memcpy(n->name, m.name, m.name_len);
    n->size = m.size;
    n->modified = m.modified;
    return fs_.set_runs(n, m.runs, m.run_count);
  }

 private:
  Filesystem& fs_;
  uint32_t* ids_;
  uint32_t seen_ = 0;
};

// Only checks (parse_meta's rules on the tree a replay left).
class CheckSink final : public MetaSink {
 public:
  FsStatus node(const MetaNode&) override { return {}; }
};

// The file blocks of `n` from validated runs (they cover its size).
FsStatus Filesystem::set_runs(Node* n, const uint8_t* runs, uint32_t run_count) {
  uint64_t nblocks = (n->size + kBlockSize - 1) / kBlockSize;
  n->nblocks = 0;
  if (!nblocks) return {};
  CAPOS_TRY_STATUS(ensure_blocks(n, nblocks));
  n->nblocks = nblocks;
  uint64_t at = 0;
  for (uint32_t r = 0; r < run_count; ++r) {
    uint32_t start = get_u32(runs + r * kRunBytes);
    uint32_t len = get_u32(runs + r * kRunBytes + 4);
    for (uint32_t k = 0; k < len && at < nblocks; ++k) n->blocks[at++] = start ? start + k : 0;
  }
  return {};
}

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
      // Only a replayed log can leave these; a commit never does.
      if (count + depth == node_count_) return fs_fail(Err::Corrupt, "log leaves a directory cycle");
      order[count + depth++] = a;
      if (a == 0) break;
      if (nodes_[a]->parent >= node_cap_ || !nodes_[nodes_[a]->parent])
        return fs_fail(Err::Corrupt, "log leaves a node without its parent");
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
    put_u32(p + 12, order[k]);
    put_u64(p + 16, n->size);
    put_u64(p + 24, n->modified);
    p += kMetaRecordBytes;
    memcpy(p, n->name, n->name_len);
    p = put_runs(n->blocks, n->nblocks, p + n->name_len);
  }
}

uint8_t* Filesystem::put_runs(const uint32_t* blocks, uint64_t n, uint8_t* p) {
  for (uint64_t i = 0; i < n;) {
    uint64_t j = i + 1;
    while (j < n && ((blocks[i] == 0 && blocks[j] == 0) || (blocks[i] != 0 && blocks[j] == blocks[i] + (j - i)))) ++j;
    put_u32(p, blocks[i]);
    put_u32(p + 4, static_cast<uint32_t>(j - i));
    p += kRunBytes;
    i = j;
  }
  return p;
}

// Runs at every commit, so it counts 64 blocks per step (a bit test per
// block was most of a small commit's instructions on a 256 MiB volume).
void Filesystem::recount_free() {
  uint64_t used = 0;
  uint64_t whole = block_count_ / 64;
  for (uint64_t w = 0; w < whole; ++w) {
    uint64_t a, b;
    __builtin_memcpy(&a, live_ + w * 8, 8);
    __builtin_memcpy(&b, committed_ + w * 8, 8);
    used += static_cast<uint64_t>(__builtin_popcountll(a | b));
  }
  for (uint64_t b = whole * 64; b < block_count_; ++b) used += live(b) || committed(b);
  // The superblock slots are never marked, and are never free.
  free_ = block_count_ - kSuperSlots - used;
}

// Appends the changed nodes' records to the log when they fit its bound,
// otherwise writes a checkpoint. Either way the blocks are fresh, so the
// last durable commit stays whole until the new superblock lands.
FsStatus Filesystem::write_commit() {
  // The log holds on to its blocks until the next checkpoint, so a small
  // volume keeps it short: at most 1/16 of its blocks.
  uint32_t limit = static_cast<uint32_t>(min<uint64_t>(log_limit_, block_count_ / 16));
  if (last_.meta_head != 0) {
    size_t bytes = dirty_count_ ? log_bytes() : 0;
    uint64_t blocks = (bytes + kLogPayload - 1) / kLogPayload;
    if (last_.log_blocks + blocks <= limit) {
      CAPOS_TRY_STATUS(write_log(bytes));
      ++log_commits_;
      clear_dirty();
      return {};
    }
  }
  CAPOS_TRY_STATUS(write_checkpoint());
  ++checkpoint_commits_;
  clear_dirty();
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
// metadata blocks (the `fresh` ones, and for a log commit the
// checkpoint and log it builds on); blocks only the previous commit
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
  // 8 bytes per step: every commit runs this over the whole volume. The
  // free count is taken in the same pass: the new committed set holds
  // every live block, so a block is used exactly when it is committed.
  size_t i = 0;
  uint64_t used = 0;
  // __builtin_memcpy: a freestanding build calls memcpy out of line, three
  // calls per word here otherwise.
  for (; i + 8 <= map; i += 8) {
    uint64_t a, b;
    __builtin_memcpy(&a, live_ + i, 8);
    __builtin_memcpy(&b, meta_ + i, 8);
    a |= b;
    __builtin_memcpy(committed_ + i, &a, 8);
    used += static_cast<uint64_t>(__builtin_popcountll(a));
  }
  for (; i < map; ++i) {
    committed_[i] = live_[i] | meta_[i];
    used += static_cast<uint64_t>(__builtin_popcount(committed_[i]));
  }
  for (uint64_t k = 0; k < count; ++k) set_live(fresh[k], false);  // still committed (metadata)
  // The superblock slots are never marked, and are never free.
  free_ = block_count_ - kSuperSlots - used;
  return {};
}

// The whole metadata image as a chain of fresh blocks; the log starts
// empty on top of it.
FsStatus Filesystem::write_checkpoint() {
  Scratch order_s(mem_, size_t{node_count_} * sizeof(uint32_t));
  auto* order = static_cast<uint32_t*>(order_s.p);
  if (!order) return fs_fail(Err::Overloaded, "out of memory for the commit");
  size_t bytes = CAPOS_TRY(meta_size(order));
  Scratch image_s(mem_, bytes);
  auto* image = static_cast<uint8_t*>(image_s.p);
  if (!image) return fs_fail(Err::Overloaded, "out of memory for the commit");
  serialize(order, image);
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

// Checks the tree a replay left with parse_meta's rules, as if it were a
// checkpoint, and marks its data blocks in committed_ (which holds the
// metadata blocks on entry).
static FsStatus check_replayed(Bytes image, uint64_t blocks, uint8_t* committed, Allocator& mem, uint32_t count) {
  Scratch hash_s(mem, (meta_hash_slots(count) + count) * sizeof(uint32_t));
  if (!hash_s.p) return fs_fail(Err::Overloaded, "out of memory for the mount");
  CheckSink check;
  (void)CAPOS_TRY(parse_meta(image, blocks, MutBytes(committed, bitmap_bytes(blocks)),
                             Span<uint32_t>(static_cast<uint32_t*>(hash_s.p), meta_hash_slots(count) + count), &check));
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
  // meta_ collects the metadata blocks: the chain's, then the log's. The
  // checkpoint's tree is checked against the chain alone: a log block may
  // sit in a block the checkpoint's tree used and a later commit freed.
  Scratch image_s(mem_, s.meta_bytes);
  auto* image = static_cast<uint8_t*>(image_s.p);
  if (!image) return fs_fail(Err::Overloaded, "out of memory for the mount");
  CAPOS_TRY_STATUS(load_chain(s, image, meta_));
  memcpy(committed_, meta_, map);  // parse_meta adds the data blocks
  uint8_t* log = nullptr;
  CAPOS_TRY_STATUS(load_log(s, meta_, &log));
  Scratch log_s(mem_, Scratch::Adopt{log});
  Bytes img(image, s.meta_bytes);
  uint32_t count = CAPOS_TRY(meta_node_count(img));
  Scratch hash_s(mem_, (meta_hash_slots(count) + count) * sizeof(uint32_t));
  Scratch ids_s(mem_, size_t{count} * sizeof(uint32_t));
  if (!hash_s.p || !ids_s.p) return fs_fail(Err::Overloaded, "out of memory for the mount");
  MountSink sink(*this, static_cast<uint32_t*>(ids_s.p));
  generation_ = s.generation;
  next_serial_ = kRootSerial;
  mounted_ = true;  // the node tables exist from here; undone by reset() on failure
  CAPOS_TRY(parse_meta(img, block_count_, MutBytes(committed_, map),
                       Span<uint32_t>(static_cast<uint32_t*>(hash_s.p), meta_hash_slots(count) + count), &sink));
  if (s.log_blocks) {
    CAPOS_TRY_STATUS(replay_log(s, log));
    // The replayed tree must be one a checkpoint could hold.
    Scratch order_s(mem_, size_t{node_count_} * sizeof(uint32_t));
    if (!order_s.p) return fs_fail(Err::Overloaded, "out of memory for the mount");
    auto* order = static_cast<uint32_t*>(order_s.p);
    size_t bytes = CAPOS_TRY(meta_size(order));
    Scratch now_s(mem_, bytes);
    if (!now_s.p) return fs_fail(Err::Overloaded, "out of memory for the mount");
    serialize(order, static_cast<uint8_t*>(now_s.p));
    memcpy(committed_, meta_, map);
    CAPOS_TRY_STATUS(
        check_replayed(Bytes(static_cast<uint8_t*>(now_s.p), bytes), block_count_, committed_, mem_, node_count_));
  }
  clear_dirty();
  // live = committed minus the metadata blocks.
  for (size_t i = 0; i < map; ++i) live_[i] = committed_[i] & static_cast<uint8_t>(~meta_[i]);
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
