// Helpers private to the filesystem core's commit, journal and mount code
// (fs_commit.cpp, fs_journal.cpp): block bitmaps and call-long memory.
#pragma once

#include "lib/fs/fs.h"

namespace capos::fs::detail {

inline size_t bitmap_bytes(uint64_t blocks) { return static_cast<size_t>((blocks + 7) / 8); }
inline void set_bit(uint8_t* map, uint64_t b) { map[b / 8] |= static_cast<uint8_t>(1u << (b % 8)); }
inline bool get_bit(const uint8_t* map, uint64_t b) { return (map[b / 8] >> (b % 8)) & 1; }

// Owns one allocation for the length of a call (or until `p` is taken by
// setting it to nullptr).
struct Scratch {
  struct Adopt {
    void* p;
  };
  Allocator& mem;
  void* p;
  Scratch(Allocator& m, size_t bytes) : mem(m), p(m.alloc(bytes ? bytes : 1)) {}
  Scratch(Allocator& m, Adopt owned) : mem(m), p(owned.p) {}
  ~Scratch() {
    if (p) mem.release(p);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// Writes blocks[0, count), `encode(j, out)` filling block j; blocks that
// follow each other on the device go in one call of up to kRunBlocks (a
// commit's fresh blocks usually do: they are allocated in one go).
template <class Encode>
FsStatus write_runs(BlockStore& dev, Allocator& mem, const uint32_t* blocks, uint64_t count, Encode encode) {
  Scratch run_s(mem, size_t{kRunBlocks} * kBlockSize);
  auto* run = static_cast<uint8_t*>(run_s.p);
  if (!run) return fs_fail(Err::Overloaded, "out of memory for the commit");
  for (uint64_t k = 0; k < count;) {
    uint32_t n = 0;
    do {
      encode(k + n, MutBytes(run + size_t{n} * kBlockSize, kBlockSize));
      ++n;
    } while (k + n < count && n < kRunBlocks && blocks[k + n] == blocks[k] + n);
    CAPOS_TRY_STATUS(dev.write(blocks[k], n, Bytes(run, size_t{n} * kBlockSize)));
    k += n;
  }
  return {};
}

}  // namespace capos::fs::detail
