// libFuzzer target for the capOS filesystem's on-disk parsers (lib/fs):
// the input is a whole disk image (padded to 8 blocks). Mount must either
// refuse it with an error or yield a tree that can be walked, read in
// full, changed, synced and mounted again with the same contents — never
// crash, hang or touch memory it should not.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "lib/fs/fs.h"

using namespace capos;
using namespace capos::fs;

namespace {

class Ram final : public BlockStore {
 public:
  explicit Ram(std::vector<uint8_t> img) : img_(std::move(img)) {}
  uint64_t block_count() const override { return img_.size() / kBlockSize; }
  FsStatus read(uint64_t b, uint32_t n, MutBytes out) override {
    if (b + n > block_count()) return fs_fail(Err::InvalidArgument, "range");
    std::memcpy(out.data(), img_.data() + b * kBlockSize, size_t{n} * kBlockSize);
    return {};
  }
  FsStatus write(uint64_t b, uint32_t n, Bytes d) override {
    if (b + n > block_count()) return fs_fail(Err::InvalidArgument, "range");
    std::memcpy(img_.data() + b * kBlockSize, d.data(), d.size());
    return {};
  }
  FsStatus flush() override { return {}; }

 private:
  std::vector<uint8_t> img_;
};

class Mem final : public Allocator {
 public:
  void* alloc(size_t n) override { return std::malloc(n); }
  void release(void* p) override { std::free(p); }
};

// Reads every file whole; returns a digest of the tree.
uint64_t walk(Filesystem& fs, NodeRef dir, int depth) {
  if (depth > 64) __builtin_trap();  // the parser guarantees a tree
  uint64_t h = 1469598103934665603ull;
  static uint8_t buf[1 << 16];
  for (uint64_t cursor = 0;;) {
    auto e = fs.next_entry(dir, cursor);
    if (!e) break;
    cursor = e->cursor;
    for (size_t i = 0; i < e->name.len; ++i) h = (h ^ static_cast<uint8_t>(e->name.ptr[i])) * 1099511628211ull;
    if (e->kind == Kind::Dir) {
      h ^= walk(fs, e->ref, depth + 1);
      continue;
    }
    for (uint64_t off = 0; off < e->size;) {
      auto n = fs.read(e->ref, off, MutBytes(buf, sizeof(buf)));
      if (!n || *n == 0) __builtin_trap();  // a mounted file reads to its size
      for (size_t i = 0; i < *n; ++i) h = (h ^ buf[i]) * 1099511628211ull;
      off += *n;
    }
  }
  return h;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Direct parser entry points on the raw bytes.
  (void)decode_super(Bytes(data, size), 64);
  (void)decode_chain(Bytes(data, size), 64);
  (void)decode_journal(Bytes(data, size), 64);
  auto count = meta_node_count(Bytes(data, size));
  if (count && *count < 4096) {
    std::vector<uint8_t> bitmap(8);
    std::vector<uint32_t> hash(meta_hash_slots(*count) + *count);
    struct Sink final : MetaSink {
      FsStatus node(const MetaNode&) override { return {}; }
    } sink;
    (void)parse_meta(Bytes(data, size), 64, MutBytes(bitmap.data(), bitmap.size()),
                     Span<uint32_t>(hash.data(), hash.size()), &sink);
  }
  // The whole mount path on the input as a disk.
  size_t blocks = size / kBlockSize + 1;
  if (blocks < kMinBlocks) blocks = kMinBlocks;
  std::vector<uint8_t> img(blocks * kBlockSize, 0);
  std::memcpy(img.data(), data, size);
  Ram dev(std::move(img));
  Mem mem;
  Filesystem fs(dev, mem);
  if (!fs.mount()) return 0;
  uint64_t before = walk(fs, fs.root(), 0);
  // A mounted image keeps working: commit it and mount it again.
  if (fs.sync()) {
    Filesystem again(dev, mem);
    if (!again.mount()) __builtin_trap();
    if (walk(again, again.root(), 0) != before) __builtin_trap();
  }
  return 0;
}
