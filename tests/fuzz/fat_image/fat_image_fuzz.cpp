// libFuzzer target for the read-only FAT32 reader (lib/fat): the input is
// a whole disk image (padded to 32 KiB). Mount must refuse it with an
// error or yield a tree that walks (bounded) and reads to every file's
// size — never crash, hang or read outside the device.
#include <cstdint>
#include <cstring>
#include <vector>

#include "lib/fat/fat32.h"

using namespace capos;

namespace {

class Ram final : public fs::BlockStore {
 public:
  explicit Ram(std::vector<uint8_t> img) : img_(std::move(img)) {}
  uint64_t block_count() const override { return img_.size() / fs::kBlockSize; }
  fs::FsStatus read(uint64_t b, uint32_t n, MutBytes out) override {
    if (b + n > block_count()) __builtin_trap();  // the reader checks ranges first
    std::memcpy(out.data(), img_.data() + b * fs::kBlockSize, size_t{n} * fs::kBlockSize);
    return {};
  }
  fs::FsStatus write(uint64_t, uint32_t, Bytes) override { __builtin_trap(); }
  fs::FsStatus flush() override { __builtin_trap(); }

 private:
  std::vector<uint8_t> img_;
};

void walk(fat::Fat32& v, fs::NodeRef dir, int depth) {
  if (depth > 17) __builtin_trap();  // mount bounds nesting at 16
  static uint8_t buf[4096];
  uint64_t cursor = 0;
  for (int k = 0; k < 512; ++k) {
    auto e = v.next_entry(dir, cursor);
    if (!e) return;
    cursor = e->cursor;
    if (e->kind == fs::Kind::Dir) {
      walk(v, e->ref, depth + 1);
      continue;
    }
    for (uint64_t off = 0; off < e->size;) {
      auto n = v.read(e->ref, off, MutBytes(buf, sizeof(buf)));
      if (!n || *n == 0) __builtin_trap();  // mount checked every chain against its size
      off += *n;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)fat::parse_boot_sector(Bytes(data, size), 1 << 20);
  size_t blocks = size / fs::kBlockSize + 1;
  if (blocks < 8) blocks = 8;
  std::vector<uint8_t> img(blocks * fs::kBlockSize, 0);
  std::memcpy(img.data(), data, size);
  Ram dev(std::move(img));
  fat::Fat32 v(dev);
  if (!v.mount()) return 0;
  walk(v, v.root(), 0);
  return 0;
}
