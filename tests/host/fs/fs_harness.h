// Host harness for lib/fs: a RAM block store that can record every write
// and flush (for crash simulation), a malloc allocator, and a dump of a
// mounted tree into a path -> contents map that tests compare with models.
#pragma once

#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "lib/fs/fs.h"

namespace capos::fs::test {

class MallocAllocator final : public Allocator {
 public:
  void* alloc(size_t bytes) override { return std::malloc(bytes); }
  void release(void* p) override { std::free(p); }
};

struct DevOp {
  bool flush;
  uint64_t block;
  std::vector<uint8_t> data;  // count * kBlockSize bytes
};

class RamDevice final : public BlockStore {
 public:
  explicit RamDevice(uint64_t blocks) : image(blocks * kBlockSize, 0) {}
  uint64_t block_count() const override { return image.size() / kBlockSize; }
  FsStatus read(uint64_t block, uint32_t count, MutBytes out) override {
    if (block + count > block_count() || out.size() < size_t{count} * kBlockSize)
      return fs_fail(Err::InvalidArgument, "ram: read out of range");
    std::memcpy(out.data(), image.data() + block * kBlockSize, size_t{count} * kBlockSize);
    return {};
  }
  FsStatus write(uint64_t block, uint32_t count, Bytes data) override {
    if (fail_writes_after == 0) return fs_fail(Err::Failed, "ram: injected write error");
    if (fail_writes_after > 0) --fail_writes_after;
    if (block + count > block_count() || data.size() != size_t{count} * kBlockSize)
      return fs_fail(Err::InvalidArgument, "ram: write out of range");
    std::memcpy(image.data() + block * kBlockSize, data.data(), data.size());
    if (recording) log.push_back(DevOp{false, block, std::vector<uint8_t>(data.data(), data.data() + data.size())});
    ++writes;
    return {};
  }
  FsStatus flush() override {
    if (recording) log.push_back(DevOp{true, 0, {}});
    ++flushes;
    return {};
  }

  std::vector<uint8_t> image;
  bool recording = false;
  std::vector<DevOp> log;
  int64_t fail_writes_after = -1;  // >= 0: that many writes succeed, then all fail
  uint64_t writes = 0, flushes = 0;
};

struct ModelEntry {
  bool dir;
  std::string data;
  bool operator==(const ModelEntry& o) const { return dir == o.dir && data == o.data; }
};
using Tree = std::map<std::string, ModelEntry>;

// Every node below `dir` as "/a/b" -> kind and contents.
inline void dump(Filesystem& fs, NodeRef dir, const std::string& prefix, Tree* out) {
  uint64_t cursor = 0;
  for (;;) {
    auto e = fs.next_entry(dir, cursor);
    if (!e) break;
    cursor = e->cursor;
    std::string path = prefix + "/" + std::string(e->name.ptr, e->name.len);
    if (e->kind == Kind::Dir) {
      (*out)[path] = ModelEntry{true, ""};
      dump(fs, e->ref, path, out);
    } else {
      std::string data(e->size, '\0');
      auto n = fs.read(e->ref, 0, MutBytes(reinterpret_cast<uint8_t*>(data.data()), data.size()));
      if (!n || *n != data.size()) data = "<read failed>";
      (*out)[path] = ModelEntry{false, data};
    }
  }
}

inline Tree dump(Filesystem& fs) {
  Tree t;
  dump(fs, fs.root(), "", &t);
  return t;
}

inline StrView sv(const std::string& s) { return StrView(s.data(), s.size()); }
inline Bytes bytes(const std::string& s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

}  // namespace capos::fs::test
