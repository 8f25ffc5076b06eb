// The records of the capOS filesystem's metadata log (format v3,
// docs/storage.md): what a commit appends instead of a whole metadata
// image. A commit's records are the nodes that changed since the commit
// before — each whole (its parent, kind, name, size and block runs, named
// by node id) or as removed — and end with a commit record carrying the
// commit's generation, its record count and the CRC-32C of its record
// bytes. parse_log_commit checks every rule before the sink sees a single
// record; the fuzz target (tests/fuzz/fs_image) drives it directly.
#pragma once

#include "lib/fs/format.h"

namespace capos::fs {

enum class LogType : uint8_t { Node = 1, Removed = 2, Commit = 3 };
// Fixed parts; a node record is followed by its name and 8 bytes per run.
constexpr size_t kLogNodeBytes = 32;
constexpr size_t kLogRemovedBytes = 8;
constexpr size_t kLogCommitBytes = 24;

// A node record as parsed; `name` and `runs` point into the payload.
struct LogNode {
  uint32_t id;
  uint32_t parent;  // a node id; kNoParent exactly for id 0 (the root)
  Kind kind;
  const char* name;
  uint32_t name_len;
  uint64_t size;
  uint64_t modified;
  const uint8_t* runs;
  uint32_t run_count;
};

class LogSink {
 public:
  virtual FsStatus node(const LogNode& n) = 0;
  virtual FsStatus removed(uint32_t id) = 0;

 protected:
  ~LogSink() = default;
};

inline size_t log_node_bytes(uint32_t name_len, uint32_t run_count) {
  return kLogNodeBytes + name_len + size_t{run_count} * kRunBytes;
}
// Writes the fixed part of a node record at `p`; the caller writes the
// name and runs after it.
void encode_log_node(const LogNode& n, uint8_t* p);
void encode_log_removed(uint32_t id, uint8_t* p);
// `records` is how many came before it, `crc` their bytes' CRC-32C.
void encode_log_commit(uint64_t generation, uint32_t records, uint32_t crc, uint8_t* p);

// One commit's payload (its log blocks' payloads concatenated): records,
// then exactly one commit record naming `generation`, the record count
// and the CRC of the bytes before it, and nothing after. Node records
// must have a known kind, a valid name (none for the root), a directory
// no data, and runs that cover exactly the size inside the device; the
// root is never removed. Whether the tree they leave is whole (parents
// exist and are directories, names unique, blocks used once) is checked
// on the result: the mount serializes it and runs parse_meta. Returns the
// record count.
FsResult<uint32_t> parse_log_commit(Bytes payload, uint64_t generation, uint64_t device_blocks, LogSink* sink);

}  // namespace capos::fs
