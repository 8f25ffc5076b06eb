// Tree operations and file data of the filesystem core (lib/fs/fs.h);
// commit and mount are in fs_commit.cpp.
#include "lib/fs/fs.h"

#include "lib/fs/fs_node.h"

namespace capos::fs {

namespace {
const uint8_t kZeroBlock[kBlockSize] = {};
}  // namespace

Filesystem::~Filesystem() { reset(); }

void Filesystem::reset() {
  for (uint32_t i = 0; i < node_cap_; ++i) free_node(i);
  if (nodes_) mem_.release(nodes_);
  if (live_) mem_.release(live_);
  if (committed_) mem_.release(committed_);
  if (meta_) mem_.release(meta_);
  if (image_) mem_.release(image_);
  if (page_crcs_) mem_.release(page_crcs_);
  page_crcs_ = nullptr;
  nodes_ = nullptr;
  live_ = committed_ = meta_ = image_ = nullptr;
  image_bytes_ = 0;
  last_ = Super{};
  node_cap_ = node_count_ = 0;
  mounted_ = false;
}

void Filesystem::free_node(uint32_t index) {
  Node* n = nodes_[index];
  if (!n) return;
  if (n->blocks) mem_.release(n->blocks);
  mem_.release(n);
  nodes_[index] = nullptr;
  --node_count_;
}

FsResult<Filesystem::Node*> Filesystem::node(NodeRef r) const {
  if (!mounted_) return fs_fail(Err::Failed, "filesystem not mounted");
  if (r.index >= node_cap_ || !nodes_[r.index] || nodes_[r.index]->serial != r.serial)
    return fs_fail(Err::NotFound, "the file or directory was removed");
  return nodes_[r.index];
}

FsResult<Filesystem::Node*> Filesystem::dir_node(NodeRef r) const {
  Node* n = CAPOS_TRY(node(r));
  if (n->kind != Kind::Dir) return fs_fail(Err::Failed, "not a directory");
  return n;
}

FsResult<Filesystem::Node*> Filesystem::file_node(NodeRef r) const {
  Node* n = CAPOS_TRY(node(r));
  if (n->kind != Kind::File) return fs_fail(Err::Failed, "is a directory");
  return n;
}

int64_t Filesystem::find_child(uint32_t dir, StrView name) const {
  for (uint32_t i = 1; i < node_cap_; ++i) {
    const Node* n = nodes_[i];
    if (n && n->parent == dir && n->name_len == name.size() && memcmp(n->name, name.ptr, name.size()) == 0) return i;
  }
  return -1;
}

FsResult<uint32_t> Filesystem::new_node(uint32_t parent, StrView name, Kind kind) {
  uint32_t slot = node_cap_;
  for (uint32_t i = 0; i < node_cap_; ++i) {
    if (!nodes_[i]) {
      slot = i;
      break;
    }
  }
  if (slot == node_cap_) {
    if (node_cap_ >= kMaxNodes) return fs_fail(Err::Overloaded, "too many files");
    uint32_t cap = node_cap_ ? node_cap_ * 2 : 64;
    if (cap > kMaxNodes) cap = kMaxNodes;
    auto** grown = static_cast<Node**>(mem_.alloc(sizeof(Node*) * cap));
    if (!grown) return fs_fail(Err::Overloaded, "out of memory for files");
    for (uint32_t i = 0; i < cap; ++i) grown[i] = i < node_cap_ ? nodes_[i] : nullptr;
    if (nodes_) mem_.release(nodes_);
    nodes_ = grown;
    node_cap_ = cap;
  }
  auto* n = static_cast<Node*>(mem_.alloc(sizeof(Node)));
  if (!n) return fs_fail(Err::Overloaded, "out of memory for files");
  *n = Node{};
  n->serial = next_serial_++;
  n->parent = parent;
  n->kind = kind;
  n->name_len = static_cast<uint8_t>(name.size());
  if (name.size()) memcpy(n->name, name.ptr, name.size());
  n->modified = generation_ + 1;
  nodes_[slot] = n;
  ++node_count_;
  return slot;
}

FsResult<NodeRef> Filesystem::lookup(NodeRef dir, StrView name) {
  (void)CAPOS_TRY(dir_node(dir));
  CAPOS_TRY_STATUS(check_name(name.ptr, name.size()));
  int64_t i = find_child(dir.index, name);
  if (i < 0) return fs_fail(Err::NotFound, "no such entry");
  return NodeRef{static_cast<uint32_t>(i), nodes_[i]->serial};
}

FsResult<NodeRef> Filesystem::create(NodeRef dir, StrView name, Kind kind) {
  Node* d = CAPOS_TRY(dir_node(dir));
  CAPOS_TRY_STATUS(check_name(name.ptr, name.size()));
  if (find_child(dir.index, name) >= 0) return fs_fail(Err::AlreadyExists, "the name is taken");
  uint32_t i = CAPOS_TRY(new_node(dir.index, name, kind));
  d->modified = generation_ + 1;
  return NodeRef{i, nodes_[i]->serial};
}

FsStatus Filesystem::remove(NodeRef dir, StrView name) {
  NodeRef r = CAPOS_TRY(lookup(dir, name));
  Node* n = nodes_[r.index];
  if (n->kind == Kind::Dir) {
    for (uint32_t i = 1; i < node_cap_; ++i)
      if (nodes_[i] && nodes_[i]->parent == r.index) return fs_fail(Err::Failed, "directory not empty");
  }
  for (uint64_t i = 0; i < n->nblocks; ++i)
    if (n->blocks[i]) release_block(n->blocks[i]);
  free_node(r.index);
  nodes_[dir.index]->modified = generation_ + 1;
  return {};
}

bool Filesystem::within(NodeRef n, NodeRef ancestor) const {
  if (!node(n) || !node(ancestor)) return false;
  // Parents form a tree rooted at 0; the walk ends there.
  for (uint32_t i = n.index;; i = nodes_[i]->parent) {
    if (i == ancestor.index) return true;
    if (i == 0) return false;
  }
}

FsStatus Filesystem::rename(NodeRef from_dir, StrView from, NodeRef to_dir, StrView to) {
  NodeRef r = CAPOS_TRY(lookup(from_dir, from));
  Node* td = CAPOS_TRY(dir_node(to_dir));
  CAPOS_TRY_STATUS(check_name(to.ptr, to.size()));
  if (find_child(to_dir.index, to) >= 0) return fs_fail(Err::AlreadyExists, "the target name is taken");
  if (nodes_[r.index]->kind == Kind::Dir && within(to_dir, r))
    return fs_fail(Err::InvalidArgument, "cannot move a directory into itself");
  Node* n = nodes_[r.index];
  n->parent = to_dir.index;
  n->name_len = static_cast<uint8_t>(to.size());
  memcpy(n->name, to.ptr, to.size());
  n->modified = generation_ + 1;
  nodes_[from_dir.index]->modified = generation_ + 1;
  td->modified = generation_ + 1;
  return {};
}

FsResult<NodeInfo> Filesystem::stat(NodeRef r) {
  Node* n = CAPOS_TRY(node(r));
  NodeInfo info{n->kind, n->size, 0, n->modified};
  if (n->kind == Kind::Dir) {
    for (uint32_t i = 1; i < node_cap_; ++i)
      if (nodes_[i] && nodes_[i]->parent == r.index) ++info.size;
  } else {
    for (uint64_t i = 0; i < n->nblocks; ++i)
      if (n->blocks[i]) ++info.blocks;
  }
  return info;
}

FsResult<Entry> Filesystem::next_entry(NodeRef dir, uint64_t cursor) {
  (void)CAPOS_TRY(dir_node(dir));
  int64_t best = -1;
  for (uint32_t i = 1; i < node_cap_; ++i) {
    const Node* n = nodes_[i];
    if (n && n->parent == dir.index && n->serial > cursor && (best < 0 || n->serial < nodes_[best]->serial)) best = i;
  }
  if (best < 0) return fs_fail(Err::NotFound, "no more entries");
  const Node* n = nodes_[best];
  NodeRef ref{static_cast<uint32_t>(best), n->serial};
  NodeInfo info = CAPOS_TRY(stat(ref));
  return Entry{ref, n->kind, StrView(n->name, n->name_len), info.size, n->serial};
}

void Filesystem::set_live(uint64_t b, bool v) {
  if (v)
    live_[b / 8] |= static_cast<uint8_t>(1u << (b % 8));
  else
    live_[b / 8] &= static_cast<uint8_t>(~(1u << (b % 8)));
}

FsResult<uint32_t> Filesystem::alloc_block() {
  if (free_ == 0) return fs_fail(Err::Overloaded, "no space left on the device");
  // Next fit: sequential writes get consecutive blocks.
  for (uint64_t k = 0; k < block_count_; ++k) {
    uint64_t b = alloc_cursor_;
    alloc_cursor_ = alloc_cursor_ + 1 >= block_count_ ? kSuperSlots : alloc_cursor_ + 1;
    if (b < kSuperSlots || live(b) || committed(b)) continue;
    set_live(b, true);
    --free_;
    return static_cast<uint32_t>(b);
  }
  return fs_fail(Err::Corrupt, "free block count disagrees with the bitmaps");
}

void Filesystem::release_block(uint32_t b) {
  set_live(b, false);
  if (!committed(b)) ++free_;  // a block of the last commit frees at the next one
}

FsStatus Filesystem::ensure_blocks(Node* n, uint64_t count) {
  if (count <= n->cap) {
    for (uint64_t i = n->nblocks; i < count; ++i) n->blocks[i] = 0;
    return {};
  }
  uint64_t cap = n->cap ? n->cap : 4;
  while (cap < count) cap *= 2;
  auto* grown = static_cast<uint32_t*>(mem_.alloc(sizeof(uint32_t) * cap));
  if (!grown) return fs_fail(Err::Overloaded, "out of memory for the block map");
  for (uint64_t i = 0; i < cap; ++i) grown[i] = i < n->nblocks ? n->blocks[i] : 0;
  if (n->blocks) mem_.release(n->blocks);
  n->blocks = grown;
  n->cap = cap;
  return {};
}

// Writes `data` at byte `at` of file block `i`: in place if the block is
// new since the last commit, otherwise into a fresh block (copy on write).
FsStatus Filesystem::write_block(Node* n, uint64_t i, uint32_t at, Bytes data) {
  uint32_t old = n->blocks[i];
  bool whole = at == 0 && data.size() == kBlockSize;
  if (!whole) {
    if (old)
      CAPOS_TRY_STATUS(dev_.read(old, 1, MutBytes(buf_, kBlockSize)));
    else
      memset(buf_, 0, kBlockSize);
  }
  memcpy(buf_ + at, data.data(), data.size());
  uint32_t target = old && !committed(old) ? old : CAPOS_TRY(alloc_block());
  FsStatus st = dev_.write(target, 1, Bytes(buf_, kBlockSize));
  if (!st) {
    if (target != old) release_block(target);
    return st;
  }
  if (old && target != old) release_block(old);
  n->blocks[i] = target;
  return {};
}

// Writes whole file blocks [i, i + count) (count <= kRunBlocks) from
// `data`: each goes in place if new since the last commit, otherwise to a
// fresh block, and blocks whose targets follow each other on the device go
// in one device write (a sequential write of a new file is one call per
// run, not per block). All or nothing for the file's map: on a device
// error the fresh blocks are released and the map is unchanged.
FsStatus Filesystem::write_whole(Node* n, uint64_t i, uint32_t count, Bytes data) {
  uint32_t old[kRunBlocks], target[kRunBlocks];
  uint32_t got = 0;
  FsStatus st = {};
  for (; got < count; ++got) {
    old[got] = n->blocks[i + got];
    if (old[got] && !committed(old[got])) {
      target[got] = old[got];
      continue;
    }
    auto b = alloc_block();
    if (!b) {
      st = fail(b.error());
      break;
    }
    target[got] = *b;
  }
  for (uint32_t k = 0; k < got && st;) {
    uint32_t run = 1;
    while (k + run < got && target[k + run] == target[k] + run) ++run;
    st = dev_.write(target[k], run, Bytes(data.data() + size_t{k} * kBlockSize, size_t{run} * kBlockSize));
    k += run;
  }
  if (!st) {
    for (uint32_t k = 0; k < got; ++k)
      if (target[k] != old[k]) release_block(target[k]);
    return st;
  }
  for (uint32_t k = 0; k < count; ++k) {
    if (old[k] && target[k] != old[k]) release_block(old[k]);
    n->blocks[i + k] = target[k];
  }
  return {};
}

FsResult<size_t> Filesystem::read(NodeRef r, uint64_t offset, MutBytes out) {
  Node* n = CAPOS_TRY(file_node(r));
  if (offset >= n->size) return size_t{0};
  size_t len = out.size() < n->size - offset ? out.size() : static_cast<size_t>(n->size - offset);
  size_t done = 0;
  while (done < len) {
    uint64_t pos = offset + done;
    uint64_t i = pos / kBlockSize;
    uint32_t at = static_cast<uint32_t>(pos % kBlockSize);
    size_t chunk = kBlockSize - at < len - done ? kBlockSize - at : len - done;
    if (n->blocks[i] && at == 0 && chunk == kBlockSize) {
      // Whole blocks that follow each other on the device: one device
      // read, straight into `out`.
      uint32_t run = 1;
      while (run < kRunBlocks && len - done >= size_t{run + 1} * kBlockSize &&
             n->blocks[i + run] == n->blocks[i] + run)
        ++run;
      CAPOS_TRY_STATUS(dev_.read(n->blocks[i], run, MutBytes(out.data() + done, size_t{run} * kBlockSize)));
      done += size_t{run} * kBlockSize;
      continue;
    }
    if (n->blocks[i]) {
      CAPOS_TRY_STATUS(dev_.read(n->blocks[i], 1, MutBytes(buf_, kBlockSize)));
      memcpy(out.data() + done, buf_ + at, chunk);
    } else {
      memset(out.data() + done, 0, chunk);
    }
    done += chunk;
  }
  return len;
}

FsStatus Filesystem::write(NodeRef r, uint64_t offset, Bytes data) {
  Node* n = CAPOS_TRY(file_node(r));
  if (data.size() == 0) return {};
  if (offset > max_file_size() || data.size() > max_file_size() - offset)
    return fs_fail(Err::InvalidArgument, "offset past the largest file size");
  uint64_t end = offset + data.size();
  uint64_t first = offset / kBlockSize, last = (end - 1) / kBlockSize;
  uint64_t need = 0;
  for (uint64_t i = first; i <= last; ++i) {
    uint32_t b = i < n->nblocks ? n->blocks[i] : 0;
    if (!b || committed(b)) ++need;
  }
  if (need > free_) return fs_fail(Err::Overloaded, "no space left on the device");
  if (last + 1 > n->nblocks) {
    CAPOS_TRY_STATUS(ensure_blocks(n, last + 1));
    n->nblocks = last + 1;
  }
  size_t done = 0;
  while (done < data.size()) {
    uint64_t pos = offset + done;
    uint32_t at = static_cast<uint32_t>(pos % kBlockSize);
    size_t chunk = kBlockSize - at < data.size() - done ? kBlockSize - at : data.size() - done;
    uint32_t whole = at == 0 ? static_cast<uint32_t>(min<size_t>((data.size() - done) / kBlockSize, kRunBlocks)) : 0;
    if (whole) chunk = size_t{whole} * kBlockSize;
    FsStatus st = whole ? write_whole(n, pos / kBlockSize, whole, Bytes(data.data() + done, chunk))
                        : write_block(n, pos / kBlockSize, at, Bytes(data.data() + done, chunk));
    if (!st) {
      // A device error midway: keep the size consistent with what landed.
      if (pos > n->size) n->size = pos;
      n->nblocks = (n->size + kBlockSize - 1) / kBlockSize;
      return st;
    }
    done += chunk;
  }
  if (end > n->size) n->size = end;
  n->modified = generation_ + 1;
  return {};
}

FsStatus Filesystem::truncate(NodeRef r, uint64_t size) {
  Node* n = CAPOS_TRY(file_node(r));
  if (size > max_file_size()) return fs_fail(Err::InvalidArgument, "size past the largest file size");
  uint64_t count = (size + kBlockSize - 1) / kBlockSize;
  if (size < n->size) {
    // Bytes past the end of the last block must read as zero if the file
    // grows again: clear them (copy on write, like any change).
    uint32_t tail = static_cast<uint32_t>(size % kBlockSize);
    if (tail && n->blocks[count - 1]) {
      if (committed(n->blocks[count - 1]) && free_ == 0) return fs_fail(Err::Overloaded, "no space left on the device");
      CAPOS_TRY_STATUS(write_block(n, count - 1, tail, Bytes(kZeroBlock, kBlockSize - tail)));
    }
    for (uint64_t i = count; i < n->nblocks; ++i)
      if (n->blocks[i]) release_block(n->blocks[i]);
    n->nblocks = count;
  } else if (count > n->nblocks) {
    CAPOS_TRY_STATUS(ensure_blocks(n, count));
    n->nblocks = count;
  }
  n->size = size;
  n->modified = generation_ + 1;
  return {};
}

FsInfo Filesystem::info() const { return FsInfo{block_count_, free_, node_count_, generation_}; }

}  // namespace capos::fs
