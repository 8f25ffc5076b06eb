// The capOS filesystem's on-disk format, version 2 (docs/storage.md).
// Everything here reads untrusted bytes: a superblock is accepted only
// with its magic, version, geometry and CRC-32C right, a metadata chain
// only block by block with each block's CRC and the chain's total CRC,
// and the metadata image only after every rule in parse_meta holds. The
// fuzz target (tests/fuzz/fs_image) drives these parsers directly.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::fs {

constexpr uint32_t kBlockSize = 4096;
// Most whole blocks one data write or read moves in a single device call.
constexpr uint32_t kRunBlocks = 16;
constexpr uint32_t kFormatVersion = 2;
// The metadata image's own layout (its header's version) did not change.
constexpr uint32_t kImageVersion = 1;
constexpr uint8_t kSuperMagic[8] = {'c', 'a', 'p', 'O', 'S', 'f', 's', '2'};
constexpr uint8_t kSuperMagicV1[8] = {'c', 'a', 'p', 'O', 'S', 'f', 's', '1'};
constexpr uint32_t kChainMagic = 0x43534643;  // "CFSC" little-endian
constexpr uint32_t kMetaMagic = 0x4d534643;   // "CFSM"
constexpr uint32_t kJournalMagic = 0x4a534643;  // "CFSJ"
// Most journal blocks on top of one checkpoint (mount reads them all).
constexpr uint32_t kMaxJournalBlocks = 64;
constexpr uint64_t kSuperSlots = 2;           // blocks 0 and 1
constexpr uint64_t kMinBlocks = 8;
constexpr uint64_t kMaxBlocks = uint64_t{1} << 32;  // block numbers are 32-bit
constexpr uint32_t kNameMax = 255;
constexpr uint32_t kMaxNodes = 1u << 20;
constexpr uint64_t kMaxMetaBytes = uint64_t{64} << 20;
constexpr uint64_t kRootSerial = 1;

// A failure with a static, human-readable reason (shown to clients).
struct FsError {
  Err code = Err::Failed;
  const char* detail = "";
};
template <class T> using FsResult = Result<T, FsError>;
using FsStatus = Result<void, FsError>;
inline Failure<FsError> fs_fail(Err e, const char* why) { return fail(FsError{e, why}); }

uint32_t crc32c(Bytes data, uint32_t crc = 0);
// The same through the tables only, never the CPU's CRC32 instruction (the
// tests compare the two paths).
uint32_t crc32c_portable(Bytes data, uint32_t crc = 0);

// ---- Superblock: the first 512 bytes of block 0 or 1.
struct Super {
  uint64_t block_count = 0;
  uint64_t generation = 0;
  // The checkpoint: a full metadata image as a chain.
  uint64_t meta_head = 0;    // first block of the metadata chain
  uint64_t meta_blocks = 0;  // blocks in the chain
  uint64_t meta_bytes = 0;   // payload bytes in the chain
  uint32_t meta_crc = 0;     // CRC-32C of the whole payload
  uint64_t checkpoint_generation = 0;  // the commit that wrote the chain
  // The journal on top of it: patches in commit order, newest last.
  uint32_t journal_blocks = 0;
  uint64_t journal_head = 0;  // the newest journal block, 0 = none
  // The metadata image after the journal (= the checkpoint's without one).
  uint64_t image_bytes = 0;
  uint32_t image_crc = 0;  // over the pages' CRCs (image_crc below)
};
constexpr size_t kSuperBytes = 512;
void encode_super(const Super& s, MutBytes block);  // block.size() >= kSuperBytes
// Checks magic, version, block size, CRC and that the chain fits a device
// of `device_blocks` blocks.
FsResult<Super> decode_super(Bytes block, uint64_t device_blocks);

// ---- Metadata chain block: a 32-byte header, then payload.
constexpr size_t kChainHeader = 32;
constexpr size_t kChainPayload = kBlockSize - kChainHeader;
struct ChainHeader {
  uint32_t index = 0;       // position in the chain, from 0
  uint64_t generation = 0;  // the commit that wrote it
  uint64_t next = 0;        // next block, 0 at the end
  uint32_t payload = 0;     // bytes used in this block
};
void encode_chain(const ChainHeader& h, Bytes payload, MutBytes block);
FsResult<ChainHeader> decode_chain(Bytes block, uint64_t device_blocks);

// ---- Journal block: a 32-byte header, then one patch of the metadata
// image: the image's size after it (u64), the offset (u64), the bytes.
constexpr size_t kJournalHeader = 32;
constexpr size_t kPatchHeader = 16;
constexpr size_t kJournalData = kBlockSize - kJournalHeader - kPatchHeader;
// The image's pages are kJournalData bytes (the last one shorter). The
// superblock's image_crc is the CRC-32C of the pages' CRC-32Cs (4 bytes
// each, little-endian), so a commit recomputes only changed pages'.
inline size_t image_pages(size_t bytes) { return (bytes + kJournalData - 1) / kJournalData; }
// Fills `crcs` (4 * image_pages(bytes) bytes) and returns the image CRC.
uint32_t image_crc(Bytes image, uint8_t* crcs);
struct JournalHeader {
  uint32_t index = 0;       // position since the checkpoint, from 0
  uint64_t generation = 0;  // the commit that wrote it
  uint64_t prev = 0;        // the journal block before it, 0 for index 0
  uint64_t size_after = 0;  // the image's size once this patch applies
  uint64_t offset = 0;      // where its bytes go
  uint32_t length = 0;      // how many (0 to kJournalData)
};
void encode_journal(const JournalHeader& h, Bytes data, MutBytes block);
// Checks magic, CRC and that the patch lies inside the image size it
// names; the bytes are block[kJournalHeader + kPatchHeader, + length).
FsResult<JournalHeader> decode_journal(Bytes block, uint64_t device_blocks);

// ---- Metadata image (the chain's payload): a header, then one record
// per node, parents before children, the root first.
enum class Kind : uint8_t { File = 1, Dir = 2 };

struct Run {  // `len` consecutive file blocks at device block `start` (0 = hole)
  uint32_t start;
  uint32_t len;
};

// What parse_meta reports, node by node, in image order. `parent_index`
// indexes earlier nodes (the root, index 0, has kNoParent). `runs` points
// into the image. Nodes carry no persistent id: the filesystem numbers
// them afresh at every mount.
constexpr uint32_t kNoParent = 0xffffffff;
constexpr size_t kMetaHeaderBytes = 16;
constexpr size_t kMetaRecordBytes = 32;
constexpr size_t kRunBytes = 8;
struct MetaNode {
  uint32_t parent_index;
  Kind kind;
  const char* name;
  uint32_t name_len;
  uint64_t size;
  uint64_t modified;
  const uint8_t* runs;  // run_count * 8 bytes: little-endian start, len
  uint32_t run_count;
};
class MetaSink {
 public:
  virtual FsStatus node(const MetaNode& n) = 0;

 protected:
  ~MetaSink() = default;
};
// The node count an image claims (checked again by parse_meta); tells
// the caller how much scratch to provide.
FsResult<uint32_t> meta_node_count(Bytes image);
// Hash-table slots for `nodes` nodes (a power of two); parse_meta needs
// meta_hash_slots(n) + n entries of scratch.
size_t meta_hash_slots(uint32_t nodes);
// Validates the whole image before calling `sink` for any node: framing,
// the root first, parents that are earlier directories, valid names
// unique among siblings, directories without data, run lists that cover
// exactly a file's size, blocks inside [2, device_blocks) and used once.
// `bitmap` has at least device_blocks bits; bits already set (the chain's
// blocks) count as used. `hash` has meta_hash_slots(count) + count entries.
// Then calls sink->node for every node and returns the node count.
FsResult<uint32_t> parse_meta(Bytes image, uint64_t device_blocks, MutBytes bitmap, Span<uint32_t> hash,
                              MetaSink* sink);

// Name rules shared by the filesystem and every service: 1..kNameMax
// bytes, no '/', no NUL, not "." or "..".
FsStatus check_name(const char* name, size_t len);

// Little-endian helpers.
inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace capos::fs
