// The metadata log of the filesystem core (docs/storage.md, "Commit"): a
// commit appends the records of the nodes that changed since the commit
// before (lib/fs/log_format.h) as fresh log blocks on top of the last
// checkpoint, so its cost follows what changed, not the size of the tree;
// mount replays them onto the checkpoint's tree. The checkpoint and the
// older log blocks stay in the committed set for as long as the newest
// commit builds on them, so the crash argument of a checkpoint holds
// unchanged.
#include "lib/fs/fs.h"
#include "lib/fs/fs_node.h"
#include "lib/fs/fs_scratch.h"
#include "lib/fs/log_format.h"

namespace capos::fs {

using detail::get_bit;
using detail::Scratch;
using detail::set_bit;

size_t Filesystem::log_bytes() const {
  size_t bytes = kLogCommitBytes;
  for (uint32_t k = 0; k < dirty_count_; ++k) {
    const Node* n = nodes_[dirty_list_[k]];
    bytes += n ? log_node_bytes(n->name_len, run_count(n->blocks, n->nblocks)) : kLogRemovedBytes;
  }
  return bytes;
}

FsStatus Filesystem::write_log(size_t bytes) {
  uint64_t gen = generation_ + 1;
  Super s = last_;
  s.generation = gen;
  if (bytes == 0) return land(FsStatus{}, s, nullptr, 0, false);  // nothing changed: a superblock only
  uint32_t count = static_cast<uint32_t>((bytes + kLogPayload - 1) / kLogPayload);
  if (count > free_) return fs_fail(Err::Overloaded, "no space left for the metadata");
  Scratch rec_s(mem_, bytes);
  auto* rec = static_cast<uint8_t*>(rec_s.p);
  if (!rec) return fs_fail(Err::Overloaded, "out of memory for the commit");
  uint8_t* p = rec;
  for (uint32_t k = 0; k < dirty_count_; ++k) {
    uint32_t id = dirty_list_[k];
    const Node* n = nodes_[id];
    if (!n) {
      encode_log_removed(id, p);
      p += kLogRemovedBytes;
      continue;
    }
    uint32_t runs = run_count(n->blocks, n->nblocks);
    LogNode r{id, id == 0 ? kNoParent : n->parent, n->kind, nullptr, n->name_len, n->size, n->modified, nullptr, runs};
    encode_log_node(r, p);
    memcpy(p + kLogNodeBytes, n->name, n->name_len);
    p = put_runs(n->blocks, n->nblocks, p + kLogNodeBytes + n->name_len);
  }
  encode_log_commit(gen, dirty_count_, crc32c(Bytes(rec, static_cast<size_t>(p - rec))), p);
  uint32_t fresh[kMaxLogBlocks];
  CAPOS_TRY_STATUS(alloc_fresh(fresh, count));
  FsStatus st = detail::write_runs(dev_, mem_, fresh, count, [&](uint64_t j, MutBytes out) {
    size_t off = j * kLogPayload;
    size_t len = bytes - off < kLogPayload ? bytes - off : kLogPayload;
    LogHeader h{static_cast<uint32_t>(last_.log_blocks + j), gen, j ? fresh[j - 1] : last_.log_head,
                static_cast<uint32_t>(len)};
    encode_log(h, Bytes(rec + off, len), out);
  });
  s.log_blocks = last_.log_blocks + count;
  s.log_head = fresh[count - 1];
  return land(st, s, fresh, count, false);
}

FsStatus Filesystem::load_log(const Super& s, uint8_t* map, uint8_t** out) {
  Scratch blocks_s(mem_, size_t{s.log_blocks} * kBlockSize);
  auto* blocks = static_cast<uint8_t*>(blocks_s.p);
  if (!blocks) return fs_fail(Err::Overloaded, "out of memory for the mount");
  // Newest to oldest along the links.
  uint64_t b = s.log_head, newer_gen = s.generation;
  for (uint32_t k = s.log_blocks; k-- > 0;) {
    if (b < kSuperSlots || b >= block_count_) return fs_fail(Err::Corrupt, "log leaves the device");
    if (get_bit(map, b)) return fs_fail(Err::Corrupt, "log block used twice");
    set_bit(map, b);
    uint8_t* block = blocks + size_t{k} * kBlockSize;
    CAPOS_TRY_STATUS(dev_.read(b, 1, MutBytes(block, kBlockSize)));
    LogHeader h = CAPOS_TRY(decode_log(Bytes(block, kBlockSize), block_count_));
    if (h.index != k || h.generation > newer_gen || h.generation <= s.checkpoint_generation)
      return fs_fail(Err::Corrupt, "log block does not belong to this commit");
    newer_gen = h.generation;
    b = h.prev;
  }
  *out = blocks;
  blocks_s.p = nullptr;
  return {};
}

// Applies one commit's records to the tree: a node record replaces the
// node with that id whole (or makes it), a removed record drops it (a node
// made and removed between two commits is logged as removed, so an absent
// id is no error). Whether the result is a tree is checked after the last
// commit (try_mount).
class ReplaySink final : public LogSink {
 public:
  explicit ReplaySink(Filesystem& fs) : fs_(fs) {}
  FsStatus node(const LogNode& r) override {
    Filesystem::Node* n = r.id < fs_.node_cap_ ? fs_.nodes_[r.id] : nullptr;
    if (!n) n = CAPOS_TRY(fs_.place_node(r.id));
    n->parent = r.id == 0 ? 0 : r.parent;
    n->kind = r.kind;
    n->name_len = static_cast<uint8_t>(r.name_len);
    memcpy(n->name, r.name, r.name_len);
    n->size = r.size;
    n->modified = r.modified;
    return fs_.set_runs(n, r.runs, r.run_count);
  }
  FsStatus removed(uint32_t id) override {
    if (id < fs_.node_cap_) fs_.free_node(id);
    return {};
  }

 private:
  Filesystem& fs_;
};

FsStatus Filesystem::replay_log(const Super& s, const uint8_t* blocks) {
  Scratch payload_s(mem_, size_t{s.log_blocks} * kLogPayload);
  auto* payload = static_cast<uint8_t*>(payload_s.p);
  if (!payload) return fs_fail(Err::Overloaded, "out of memory for the mount");
  ReplaySink sink(*this);
  for (uint32_t k = 0; k < s.log_blocks;) {
    // One commit: the blocks of one generation, their payloads joined.
    uint64_t gen = 0;
    size_t bytes = 0;
    uint32_t e = k;
    for (; e < s.log_blocks; ++e) {
      const uint8_t* block = blocks + size_t{e} * kBlockSize;
      LogHeader h = CAPOS_TRY(decode_log(Bytes(block, kBlockSize), block_count_));
      if (e > k && h.generation != gen) break;
      gen = h.generation;
      memcpy(payload + bytes, block + kLogHeader, h.payload);
      bytes += h.payload;
    }
    (void)CAPOS_TRY(parse_log_commit(Bytes(payload, bytes), gen, block_count_, &sink));
    k = e;
  }
  return {};
}

}  // namespace capos::fs
