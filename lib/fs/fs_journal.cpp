// The metadata journal of the filesystem core (docs/storage.md, "Commit"):
// a commit whose metadata image differs from the last one in a few pages
// writes only those pages, each as one journal block on top of the last
// checkpoint; mount replays them onto the checkpoint's image. Journal
// blocks are fresh blocks like everything a commit writes, and the
// checkpoint and older journal blocks stay in the committed set for as
// long as the newest commit builds on them, so the crash argument of a
// checkpoint holds unchanged.
#include "lib/fs/fs.h"
#include "lib/fs/fs_scratch.h"

namespace capos::fs {

using detail::get_bit;
using detail::Scratch;
using detail::set_bit;

// Pages that differ from image_ (or lie past its end, or end at another
// place) are changed; the others keep image_'s CRC. A change of size alone
// still needs one patch (empty, at the new end) to carry the size.
uint32_t Filesystem::diff_pages(const uint8_t* image, size_t bytes, uint8_t* crcs, Patch* out, uint32_t max) const {
  uint32_t n = 0;
  for (size_t p = 0, lo = 0; lo < bytes; ++p, lo += kJournalData) {
    size_t hi = bytes - lo < kJournalData ? bytes : lo + kJournalData;
    size_t old_hi = image_bytes_ - min(image_bytes_, lo) < kJournalData ? image_bytes_ : lo + kJournalData;
    bool same = image_ && hi == old_hi && memcmp(image + lo, image_ + lo, hi - lo) == 0;
    if (same) {
      memcpy(crcs + 4 * p, page_crcs_ + 4 * p, 4);
      continue;
    }
    put_u32(crcs + 4 * p, crc32c(Bytes(image + lo, hi - lo)));
    if (n < max) out[n] = Patch{lo, static_cast<uint32_t>(hi - lo)};
    ++n;
  }
  if (n == 0 && bytes != image_bytes_) {
    if (max > 0) out[0] = Patch{bytes, 0};
    n = 1;
  }
  return n;
}

FsStatus Filesystem::write_journal(const uint8_t* image, size_t bytes, uint32_t crc, const Patch* patches,
                                   uint32_t count) {
  if (count > free_) return fs_fail(Err::Overloaded, "no space left for the metadata");
  uint32_t fresh[kMaxJournalBlocks];
  CAPOS_TRY_STATUS(alloc_fresh(fresh, count));
  uint64_t gen = generation_ + 1;
  FsStatus st = detail::write_runs(dev_, mem_, fresh, count, [&](uint64_t j, MutBytes out) {
    JournalHeader h;
    h.index = static_cast<uint32_t>(last_.journal_blocks + j);
    h.generation = gen;
    h.prev = j ? fresh[j - 1] : last_.journal_head;
    h.size_after = bytes;
    h.offset = patches[j].offset;
    h.length = patches[j].length;
    encode_journal(h, Bytes(image + h.offset, h.length), out);
  });
  Super s = last_;
  s.generation = gen;
  if (count) {
    s.journal_blocks = last_.journal_blocks + count;
    s.journal_head = fresh[count - 1];
  }
  s.image_bytes = bytes;
  s.image_crc = crc;
  return land(st, s, fresh, count, false);
}

FsStatus Filesystem::load_journal(const Super& s, uint8_t* map, uint8_t** out) {
  // The journal first, newest to oldest, to learn the largest image size.
  Scratch blocks_s(mem_, size_t{s.journal_blocks} * kBlockSize);
  auto* blocks = static_cast<uint8_t*>(blocks_s.p);
  if (!blocks) return fs_fail(Err::Overloaded, "out of memory for the mount");
  uint64_t largest = s.meta_bytes;
  uint64_t b = s.journal_head, newer_gen = s.generation;
  for (uint32_t k = s.journal_blocks; k-- > 0;) {
    if (b < kSuperSlots || b >= block_count_) return fs_fail(Err::Corrupt, "journal leaves the device");
    if (get_bit(map, b)) return fs_fail(Err::Corrupt, "journal loops");
    set_bit(map, b);
    uint8_t* block = blocks + size_t{k} * kBlockSize;
    CAPOS_TRY_STATUS(dev_.read(b, 1, MutBytes(block, kBlockSize)));
    JournalHeader h = CAPOS_TRY(decode_journal(Bytes(block, kBlockSize), block_count_));
    if (h.index != k || h.generation > newer_gen || h.generation <= s.checkpoint_generation)
      return fs_fail(Err::Corrupt, "journal block does not belong to this commit");
    if (h.size_after > largest) largest = h.size_after;
    newer_gen = h.generation;
    b = h.prev;
  }
  Scratch image_s(mem_, largest);
  auto* image = static_cast<uint8_t*>(image_s.p);
  if (!image) return fs_fail(Err::Overloaded, "out of memory for the mount");
  CAPOS_TRY_STATUS(load_chain(s, image, map));
  // Oldest patch first, each onto the image the one before left.
  uint64_t size = s.meta_bytes;
  for (uint32_t k = 0; k < s.journal_blocks; ++k) {
    const uint8_t* block = blocks + size_t{k} * kBlockSize;
    JournalHeader h = CAPOS_TRY(decode_journal(Bytes(block, kBlockSize), block_count_));
    if (h.size_after > size) memset(image + size, 0, h.size_after - size);
    size = h.size_after;
    memcpy(image + h.offset, block + kJournalHeader + kPatchHeader, h.length);
  }
  if (size != s.image_bytes) return fs_fail(Err::Corrupt, "journal leaves the metadata at another size");
  Scratch crcs_s(mem_, 4 * image_pages(size));
  auto* crcs = static_cast<uint8_t*>(crcs_s.p);
  if (!crcs) return fs_fail(Err::Overloaded, "out of memory for the mount");
  if (image_crc(Bytes(image, size), crcs) != s.image_crc)
    return fs_fail(Err::Corrupt, "metadata checksum mismatch after the journal");
  *out = image;
  image_s.p = nullptr;
  page_crcs_ = crcs;
  crcs_s.p = nullptr;
  return {};
}

}  // namespace capos::fs
