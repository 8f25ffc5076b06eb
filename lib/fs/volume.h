// The tree operations every filesystem back-end offers the storage
// services (fsd serves Directory/File over any Volume): the capOS
// filesystem (lib/fs/fs.h) and the read-only FAT32 reader (lib/fat).
// A read-only back-end answers every change with invalidArgument
// "read-only filesystem".
#pragma once

#include <stdint.h>

#include "lib/core/cstring.h"
#include "lib/fs/format.h"

namespace capos::fs {

// A node as the caller holds it: the slot and the serial it had when
// found. A removed node's ref answers NotFound, never another node.
struct NodeRef {
  uint32_t index = 0;
  uint64_t serial = 0;
};

struct NodeInfo {
  Kind kind;
  uint64_t size;      // bytes of a file, entries of a directory
  uint64_t blocks;    // data blocks allocated (holes excluded)
  uint64_t modified;  // generation of the last change
};

struct Entry {
  NodeRef ref;
  Kind kind;
  StrView name;  // valid until the next change to the tree
  uint64_t size;
  uint64_t cursor;  // pass back to next_entry for the following one
};

struct FsInfo {
  uint64_t total_blocks;
  uint64_t free_blocks;
  uint64_t nodes;
  uint64_t generation;
};

class Volume {
 public:
  virtual NodeRef root() const = 0;
  virtual FsResult<NodeRef> lookup(NodeRef dir, StrView name) = 0;
  virtual FsResult<NodeRef> create(NodeRef dir, StrView name, Kind kind) = 0;
  virtual FsStatus remove(NodeRef dir, StrView name) = 0;
  virtual FsStatus rename(NodeRef from_dir, StrView from, NodeRef to_dir, StrView to) = 0;
  virtual FsResult<NodeInfo> stat(NodeRef n) = 0;
  // The entry of `dir` after `cursor` (0 = the first); NotFound at the end.
  virtual FsResult<Entry> next_entry(NodeRef dir, uint64_t cursor) = 0;
  virtual FsResult<size_t> read(NodeRef file, uint64_t offset, MutBytes out) = 0;
  virtual FsStatus write(NodeRef file, uint64_t offset, Bytes data) = 0;
  virtual FsStatus truncate(NodeRef file, uint64_t size) = 0;
  virtual FsStatus sync() = 0;
  virtual FsInfo info() const = 0;
  virtual StrView format_name() const = 0;
  virtual bool read_only() const = 0;

 protected:
  ~Volume() = default;
};

}  // namespace capos::fs
