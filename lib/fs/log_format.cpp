#include "lib/fs/log_format.h"

#include "lib/core/cstring.h"

namespace capos::fs {

void encode_log_node(const LogNode& n, uint8_t* p) {
  memset(p, 0, kLogNodeBytes);
  p[0] = static_cast<uint8_t>(LogType::Node);
  p[1] = static_cast<uint8_t>(n.kind);
  p[2] = static_cast<uint8_t>(n.name_len);
  put_u32(p + 4, n.id);
  put_u32(p + 8, n.parent);
  put_u32(p + 12, n.run_count);
  put_u64(p + 16, n.size);
  put_u64(p + 24, n.modified);
}

void encode_log_removed(uint32_t id, uint8_t* p) {
  memset(p, 0, kLogRemovedBytes);
  p[0] = static_cast<uint8_t>(LogType::Removed);
  put_u32(p + 4, id);
}

void encode_log_commit(uint64_t generation, uint32_t records, uint32_t crc, uint8_t* p) {
  memset(p, 0, kLogCommitBytes);
  p[0] = static_cast<uint8_t>(LogType::Commit);
  put_u32(p + 4, records);
  put_u64(p + 8, generation);
  put_u32(p + 16, crc);
}

namespace {

// Framing and rules of the node record at p (rest bytes left).
FsResult<LogNode> read_node(const uint8_t* p, size_t rest, uint64_t device_blocks) {
  if (rest < kLogNodeBytes) return fs_fail(Err::Truncated, "log record cut short");
  if (p[3] != 0) return fs_fail(Err::Corrupt, "log record reserved bytes are not zero");
  LogNode n;
  n.kind = static_cast<Kind>(p[1]);
  n.name_len = p[2];
  n.id = get_u32(p + 4);
  n.parent = get_u32(p + 8);
  n.run_count = get_u32(p + 12);
  n.size = get_u64(p + 16);
  n.modified = get_u64(p + 24);
  if (n.name_len > rest - kLogNodeBytes || uint64_t{n.run_count} * kRunBytes > rest - kLogNodeBytes - n.name_len)
    return fs_fail(Err::Truncated, "log record runs past the commit");
  n.name = reinterpret_cast<const char*>(p + kLogNodeBytes);
  n.runs = p + kLogNodeBytes + n.name_len;
  if (n.id >= kMaxNodes || (n.parent != kNoParent && n.parent >= kMaxNodes))
    return fs_fail(Err::Corrupt, "node id out of range");
  if (n.kind != Kind::File && n.kind != Kind::Dir) return fs_fail(Err::Corrupt, "unknown node kind");
  if (n.id == 0) {
    if (n.parent != kNoParent || n.kind != Kind::Dir || n.name_len != 0)
      return fs_fail(Err::Corrupt, "log record for the root is not the root directory");
  } else {
    if (n.parent == kNoParent || n.parent == n.id) return fs_fail(Err::Corrupt, "log record without a parent");
    CAPOS_TRY_STATUS(check_name(n.name, n.name_len));
  }
  if (n.kind == Kind::Dir) {
    if (n.size != 0 || n.run_count != 0) return fs_fail(Err::Corrupt, "directory with data");
  } else {
    if (n.size > device_blocks * kBlockSize) return fs_fail(Err::Corrupt, "file larger than the device");
    CAPOS_TRY_STATUS(check_file_runs(n.runs, n.run_count, n.size, device_blocks, MutBytes()));
  }
  return n;
}

}  // namespace

FsResult<uint32_t> parse_log_commit(Bytes payload, uint64_t generation, uint64_t device_blocks, LogSink* sink) {
  // Pass 0 checks everything, pass 1 reports.
  uint32_t count = 0;
  for (int pass = 0; pass < 2; ++pass) {
    const uint8_t* p = payload.data();
    size_t at = 0, size = payload.size();
    count = 0;
    for (;;) {
      if (at == size) return fs_fail(Err::Truncated, "log commit without its commit record");
      const uint8_t* r = p + at;
      size_t rest = size - at;
      auto type = static_cast<LogType>(r[0]);
      if (type == LogType::Commit) {
        if (rest < kLogCommitBytes) return fs_fail(Err::Truncated, "log record cut short");
        if (r[1] || r[2] || r[3] || get_u32(r + 20)) return fs_fail(Err::Corrupt, "log record reserved bytes are not zero");
        if (get_u64(r + 8) != generation) return fs_fail(Err::Corrupt, "log commit record of another generation");
        if (get_u32(r + 4) != count) return fs_fail(Err::Corrupt, "log commit record count mismatch");
        if (get_u32(r + 16) != crc32c(Bytes(p, at))) return fs_fail(Err::Corrupt, "log commit checksum mismatch");
        if (rest != kLogCommitBytes) return fs_fail(Err::Corrupt, "bytes after the log commit record");
        break;
      }
      if (type == LogType::Removed) {
        if (rest < kLogRemovedBytes) return fs_fail(Err::Truncated, "log record cut short");
        if (r[1] || r[2] || r[3]) return fs_fail(Err::Corrupt, "log record reserved bytes are not zero");
        uint32_t id = get_u32(r + 4);
        if (id == 0 || id >= kMaxNodes) return fs_fail(Err::Corrupt, "log removes the root or an id out of range");
        if (pass == 1) CAPOS_TRY_STATUS(sink->removed(id));
        at += kLogRemovedBytes;
      } else if (type == LogType::Node) {
        LogNode n = CAPOS_TRY(read_node(r, rest, device_blocks));
        if (pass == 1) CAPOS_TRY_STATUS(sink->node(n));
        at += log_node_bytes(n.name_len, n.run_count);
      } else {
        return fs_fail(Err::Corrupt, "unknown log record type");
      }
      ++count;
    }
  }
  return count;
}

}  // namespace capos::fs
