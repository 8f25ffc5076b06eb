#include "lib/fs/format.h"

#include "lib/core/cstring.h"

namespace capos::fs {

namespace {

// CRC-32C (Castagnoli, reflected 0x82F63B78), tables built at compile
// time for slicing by 8: t[0] is the byte-wise table, t[k][i] the CRC of
// byte i followed by k zero bytes, so eight bytes take eight lookups and
// no serial dependency between them (a commit checksums its whole
// metadata image twice: ~1.3 instead of ~6 instructions per byte). The
// fallback where the CPU has no CRC32 instruction.
struct CrcTable {
  uint32_t t[8][256];
  constexpr CrcTable() : t{} {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; ++i)
      for (int k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
};
constexpr CrcTable kCrc;

constexpr size_t kSuperCrcAt = kSuperBytes - 4;

bool bit(Bytes map, uint64_t i) { return (map.data()[i / 8] >> (i % 8)) & 1; }
void set_bit(MutBytes map, uint64_t i) { map.data()[i / 8] |= static_cast<uint8_t>(1u << (i % 8)); }

uint32_t name_hash(uint32_t parent, const char* name, size_t len) {
  uint8_t p[4];
  put_u32(p, parent);
  return crc32c(Bytes(reinterpret_cast<const uint8_t*>(name), len), crc32c(Bytes(p, 4)));
}

struct Record {
  uint32_t parent;
  uint8_t kind;
  uint8_t name_len;
  uint32_t run_count;
  uint64_t size;
  uint64_t modified;
  const char* name;
  const uint8_t* runs;
};

// Framing of one record at `*at`; advances `*at`.
FsResult<Record> read_record(Bytes image, size_t* at) {
  if (image.size() - *at < kMetaRecordBytes) return fs_fail(Err::Truncated, "metadata record cut short");
  const uint8_t* p = image.data() + *at;
  Record r;
  r.parent = get_u32(p);
  r.kind = p[4];
  r.name_len = p[5];
  if (p[6] != 0 || p[7] != 0 || get_u32(p + 12) != 0)
    return fs_fail(Err::Corrupt, "metadata record reserved bytes are not zero");
  r.run_count = get_u32(p + 8);
  r.size = get_u64(p + 16);
  r.modified = get_u64(p + 24);
  size_t rest = image.size() - *at - kMetaRecordBytes;
  if (r.name_len > rest || uint64_t{r.run_count} * kRunBytes > rest - r.name_len)
    return fs_fail(Err::Truncated, "metadata record runs past the image");
  r.name = reinterpret_cast<const char*>(p + kMetaRecordBytes);
  r.runs = p + kMetaRecordBytes + r.name_len;
  *at += kMetaRecordBytes + r.name_len + size_t{r.run_count} * kRunBytes;
  return r;
}

// Checks a file's runs against its size and the device; marks its blocks.
FsStatus check_runs(const Record& r, uint64_t device_blocks, MutBytes bitmap) {
  uint64_t need = (r.size + kBlockSize - 1) / kBlockSize;
  uint64_t covered = 0;
  for (uint32_t i = 0; i < r.run_count; ++i) {
    uint32_t start = get_u32(r.runs + i * kRunBytes);
    uint32_t len = get_u32(r.runs + i * kRunBytes + 4);
    if (len == 0) return fs_fail(Err::Corrupt, "empty block run");
    covered += len;
    if (covered > need) return fs_fail(Err::Corrupt, "block runs exceed the file size");
    if (start == 0) continue;  // a hole
    if (start < kSuperSlots || uint64_t{start} + len > device_blocks)
      return fs_fail(Err::Corrupt, "block run outside the device");
    for (uint64_t b = start; b < uint64_t{start} + len; ++b) {
      if (bit(bitmap, b)) return fs_fail(Err::Corrupt, "block used twice");
      set_bit(bitmap, b);
    }
  }
  if (covered != need) return fs_fail(Err::Corrupt, "block runs do not cover the file size");
  return {};
}

}  // namespace

namespace {

uint32_t crc32c_table(const uint8_t* p, size_t n, uint32_t crc) {
  for (; n >= 8; p += 8, n -= 8) {
    uint32_t lo = crc ^ get_u32(p);
    uint32_t hi = get_u32(p + 4);
    crc = kCrc.t[7][lo & 0xff] ^ kCrc.t[6][(lo >> 8) & 0xff] ^ kCrc.t[5][(lo >> 16) & 0xff] ^ kCrc.t[4][lo >> 24] ^
          kCrc.t[3][hi & 0xff] ^ kCrc.t[2][(hi >> 8) & 0xff] ^ kCrc.t[1][(hi >> 16) & 0xff] ^ kCrc.t[0][hi >> 24];
  }
  for (; n > 0; ++p, --n) crc = kCrc.t[0][(crc ^ *p) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// SSE4.2's CRC32 instruction computes exactly this CRC (Castagnoli,
// reflected), 8 bytes per instruction. Used when CPUID says the CPU has
// it (Linux's crc32c-intel does the same); the tables otherwise.
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(const uint8_t* p, size_t n, uint32_t crc) {
  uint64_t c = crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t v;
    memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = __builtin_ia32_crc32qi(c32, *p);
  return c32;
}

bool cpu_has_sse42() {
  // 0 = not asked yet, 1 = no, 2 = yes. Every caller computes the same
  // answer, so a race only repeats the question.
  static uint8_t known = 0;
  uint8_t k = __atomic_load_n(&known, __ATOMIC_RELAXED);
  if (k == 0) {
    uint32_t a = 1, b, c = 0, d;
    asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    k = (c >> 20) & 1 ? 2 : 1;
    __atomic_store_n(&known, k, __ATOMIC_RELAXED);
  }
  return k == 2;
}
#endif

}  // namespace

uint32_t crc32c(Bytes data, uint32_t crc) {
  crc = ~crc;
#if defined(__x86_64__)
  if (cpu_has_sse42()) return ~crc32c_sse42(data.data(), data.size(), crc);
#endif
  return ~crc32c_table(data.data(), data.size(), crc);
}

uint32_t crc32c_portable(Bytes data, uint32_t crc) { return ~crc32c_table(data.data(), data.size(), ~crc); }

FsStatus check_name(const char* name, size_t len) {
  if (len == 0) return fs_fail(Err::InvalidArgument, "empty name");
  if (len > kNameMax) return fs_fail(Err::InvalidArgument, "name longer than 255 bytes");
  for (size_t i = 0; i < len; ++i) {
    if (name[i] == '/') return fs_fail(Err::InvalidArgument, "name contains '/'");
    if (name[i] == '\0') return fs_fail(Err::InvalidArgument, "name contains NUL");
  }
  if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
    return fs_fail(Err::InvalidArgument, "name is '.' or '..'");
  return {};
}

void encode_super(const Super& s, MutBytes block) {
  uint8_t* p = block.data();
  memset(p, 0, kSuperBytes);
  memcpy(p, kSuperMagic, 8);
  put_u32(p + 8, kFormatVersion);
  put_u32(p + 12, kBlockSize);
  put_u64(p + 16, s.block_count);
  put_u64(p + 24, s.generation);
  put_u64(p + 32, s.meta_head);
  put_u64(p + 40, s.meta_blocks);
  put_u64(p + 48, s.meta_bytes);
  put_u32(p + 56, s.meta_crc);
  put_u32(p + 60, s.journal_blocks);
  put_u64(p + 64, s.journal_head);
  put_u64(p + 72, s.image_bytes);
  put_u64(p + 80, s.checkpoint_generation);
  put_u32(p + 88, s.image_crc);
  put_u32(p + kSuperCrcAt, crc32c(Bytes(p, kSuperCrcAt)));
}

FsResult<Super> decode_super(Bytes block, uint64_t device_blocks) {
  if (block.size() < kSuperBytes) return fs_fail(Err::Truncated, "superblock cut short");
  const uint8_t* p = block.data();
  if (memcmp(p, kSuperMagicV1, 8) == 0)
    return fs_fail(Err::Unsupported, "capOS filesystem format v1: make the image again with mkfs-capos");
  if (memcmp(p, kSuperMagic, 8) != 0) return fs_fail(Err::NotFound, "no capOS filesystem (bad magic)");
  if (get_u32(p + kSuperCrcAt) != crc32c(Bytes(p, kSuperCrcAt)))
    return fs_fail(Err::Corrupt, "superblock checksum mismatch");
  if (get_u32(p + 8) != kFormatVersion) return fs_fail(Err::Unsupported, "unknown format version");
  if (get_u32(p + 12) != kBlockSize) return fs_fail(Err::Unsupported, "unsupported block size");
  for (size_t i = 92; i < kSuperCrcAt; ++i)
    if (p[i] != 0) return fs_fail(Err::Corrupt, "superblock reserved bytes are not zero");
  Super s;
  s.block_count = get_u64(p + 16);
  s.generation = get_u64(p + 24);
  s.meta_head = get_u64(p + 32);
  s.meta_blocks = get_u64(p + 40);
  s.meta_bytes = get_u64(p + 48);
  s.meta_crc = get_u32(p + 56);
  s.journal_blocks = get_u32(p + 60);
  s.journal_head = get_u64(p + 64);
  s.image_bytes = get_u64(p + 72);
  s.checkpoint_generation = get_u64(p + 80);
  s.image_crc = get_u32(p + 88);
  if (s.block_count < kMinBlocks || s.block_count > kMaxBlocks || s.block_count > device_blocks)
    return fs_fail(Err::Corrupt, "superblock block count does not fit the device");
  if (s.meta_head < kSuperSlots || s.meta_head >= s.block_count)
    return fs_fail(Err::Corrupt, "metadata chain head outside the filesystem");
  if (s.meta_bytes < kMetaHeaderBytes || s.meta_bytes > kMaxMetaBytes)
    return fs_fail(Err::Corrupt, "metadata size out of range");
  if (s.meta_blocks != (s.meta_bytes + kChainPayload - 1) / kChainPayload)
    return fs_fail(Err::Corrupt, "metadata block count does not match its size");
  if (s.meta_blocks > s.block_count - kSuperSlots) return fs_fail(Err::Corrupt, "metadata larger than the device");
  if (s.checkpoint_generation == 0 || s.checkpoint_generation > s.generation)
    return fs_fail(Err::Corrupt, "checkpoint generation out of range");
  if (s.journal_blocks > kMaxJournalBlocks) return fs_fail(Err::Corrupt, "journal longer than the limit");
  if ((s.journal_blocks == 0) != (s.journal_head == 0) ||
      (s.journal_head != 0 && (s.journal_head < kSuperSlots || s.journal_head >= s.block_count)))
    return fs_fail(Err::Corrupt, "journal head does not match its length");
  if (s.image_bytes < kMetaHeaderBytes || s.image_bytes > kMaxMetaBytes)
    return fs_fail(Err::Corrupt, "metadata size out of range");
  if (s.journal_blocks == 0 && s.image_bytes != s.meta_bytes)
    return fs_fail(Err::Corrupt, "metadata image differs from its checkpoint without a journal");
  return s;
}

namespace {

// Chain and journal blocks: a magic at 0 and, at 28, the CRC-32C of the
// whole block taken with that field zero.
constexpr size_t kBlockCrcAt = 28;
void seal_block(uint8_t* p) { put_u32(p + kBlockCrcAt, crc32c(Bytes(p, kBlockSize))); }

struct BlockKind {
  uint32_t magic;
  const char* cut_short;
  const char* no_magic;
  const char* bad_crc;
};
constexpr BlockKind kChainBlock{kChainMagic, "metadata block cut short", "metadata block has no chain magic",
                                "metadata block checksum mismatch"};
constexpr BlockKind kJournalBlock{kJournalMagic, "journal block cut short", "journal block has no journal magic",
                                  "journal block checksum mismatch"};

// Copies `block` into `tmp` (kBlockSize bytes) with the CRC field zeroed,
// after checking its size, magic and CRC.
FsStatus open_block(Bytes block, const BlockKind& k, uint8_t* tmp) {
  if (block.size() < kBlockSize) return fs_fail(Err::Truncated, k.cut_short);
  memcpy(tmp, block.data(), kBlockSize);
  uint32_t crc = get_u32(tmp + kBlockCrcAt);
  put_u32(tmp + kBlockCrcAt, 0);
  if (get_u32(tmp) != k.magic) return fs_fail(Err::Corrupt, k.no_magic);
  if (crc != crc32c(Bytes(tmp, kBlockSize))) return fs_fail(Err::Corrupt, k.bad_crc);
  return {};
}

}  // namespace

void encode_chain(const ChainHeader& h, Bytes payload, MutBytes block) {
  uint8_t* p = block.data();
  memset(p, 0, kBlockSize);
  put_u32(p, kChainMagic);
  put_u32(p + 4, h.index);
  put_u64(p + 8, h.generation);
  put_u64(p + 16, h.next);
  put_u32(p + 24, h.payload);
  memcpy(p + kChainHeader, payload.data(), payload.size());
  seal_block(p);
}

FsResult<ChainHeader> decode_chain(Bytes block, uint64_t device_blocks) {
  uint8_t tmp[kBlockSize];
  CAPOS_TRY_STATUS(open_block(block, kChainBlock, tmp));
  ChainHeader h;
  h.index = get_u32(tmp + 4);
  h.generation = get_u64(tmp + 8);
  h.next = get_u64(tmp + 16);
  h.payload = get_u32(tmp + 24);
  if (h.payload == 0 || h.payload > kChainPayload) return fs_fail(Err::Corrupt, "metadata block payload size");
  if (h.next != 0 && (h.next < kSuperSlots || h.next >= device_blocks))
    return fs_fail(Err::Corrupt, "metadata chain points outside the device");
  return h;
}

uint32_t image_crc(Bytes image, uint8_t* crcs) {
  size_t pages = image_pages(image.size());
  for (size_t p = 0; p < pages; ++p) {
    size_t lo = p * kJournalData, len = image.size() - lo < kJournalData ? image.size() - lo : kJournalData;
    put_u32(crcs + 4 * p, crc32c(Bytes(image.data() + lo, len)));
  }
  return crc32c(Bytes(crcs, 4 * pages));
}

void encode_journal(const JournalHeader& h, Bytes data, MutBytes block) {
  uint8_t* p = block.data();
  memset(p, 0, kBlockSize);
  put_u32(p, kJournalMagic);
  put_u32(p + 4, h.index);
  put_u64(p + 8, h.generation);
  put_u64(p + 16, h.prev);
  put_u32(p + 24, h.length);
  put_u64(p + kJournalHeader, h.size_after);
  put_u64(p + kJournalHeader + 8, h.offset);
  memcpy(p + kJournalHeader + kPatchHeader, data.data(), data.size());
  seal_block(p);
}

FsResult<JournalHeader> decode_journal(Bytes block, uint64_t device_blocks) {
  uint8_t tmp[kBlockSize];
  CAPOS_TRY_STATUS(open_block(block, kJournalBlock, tmp));
  JournalHeader h;
  h.index = get_u32(tmp + 4);
  h.generation = get_u64(tmp + 8);
  h.prev = get_u64(tmp + 16);
  h.length = get_u32(tmp + 24);
  h.size_after = get_u64(tmp + kJournalHeader);
  h.offset = get_u64(tmp + kJournalHeader + 8);
  if (h.length > kJournalData) return fs_fail(Err::Corrupt, "journal patch longer than a block holds");
  if (h.size_after < kMetaHeaderBytes || h.size_after > kMaxMetaBytes)
    return fs_fail(Err::Corrupt, "journal patch image size out of range");
  if (h.offset > h.size_after || h.length > h.size_after - h.offset)
    return fs_fail(Err::Corrupt, "journal patch outside the image");
  if ((h.index == 0) != (h.prev == 0) || (h.prev != 0 && (h.prev < kSuperSlots || h.prev >= device_blocks)))
    return fs_fail(Err::Corrupt, "journal block points outside the device");
  return h;
}

FsResult<uint32_t> meta_node_count(Bytes image) {
  if (image.size() < kMetaHeaderBytes) return fs_fail(Err::Truncated, "metadata header cut short");
  const uint8_t* p = image.data();
  if (get_u32(p) != kMetaMagic) return fs_fail(Err::Corrupt, "metadata magic");
  if (get_u32(p + 4) != kImageVersion) return fs_fail(Err::Unsupported, "unknown metadata version");
  if (get_u32(p + 12) != 0) return fs_fail(Err::Corrupt, "metadata header reserved bytes are not zero");
  uint32_t n = get_u32(p + 8);
  if (n == 0 || n > kMaxNodes) return fs_fail(Err::Corrupt, "metadata node count out of range");
  if (uint64_t{n} * kMetaRecordBytes > image.size() - kMetaHeaderBytes)
    return fs_fail(Err::Truncated, "metadata shorter than its node count");
  return n;
}

size_t meta_hash_slots(uint32_t nodes) {
  size_t s = 16;
  while (s < size_t{nodes} * 2) s <<= 1;
  return s;
}

FsResult<uint32_t> parse_meta(Bytes image, uint64_t device_blocks, MutBytes bitmap, Span<uint32_t> hash,
                              MetaSink* sink) {
  uint32_t n = CAPOS_TRY(meta_node_count(image));
  size_t slots = meta_hash_slots(n);
  if (hash.size() < slots + n || bitmap.size() * 8 < device_blocks)
    return fs_fail(Err::InvalidArgument, "scratch too small");
  // hash[0, slots): open addressing over (parent, name) holding record
  // offsets, to find duplicate sibling names in linear time;
  // hash[slots + i]: the offset of record i, to check a parent's kind.
  uint32_t* table = hash.data();
  uint32_t* offsets = hash.data() + slots;
  for (size_t i = 0; i < slots; ++i) table[i] = kNoParent;
  // Pass 0 checks everything, pass 1 reports: a sink never sees part of
  // an image that is then refused.
  for (int pass = 0; pass < 2; ++pass) {
    size_t at = kMetaHeaderBytes;
    for (uint32_t i = 0; i < n; ++i) {
      size_t rec_at = at;
      Record r = CAPOS_TRY(read_record(image, &at));
      if (pass == 1) {
        MetaNode m{r.parent, static_cast<Kind>(r.kind), r.name, r.name_len, r.size, r.modified, r.runs, r.run_count};
        CAPOS_TRY_STATUS(sink->node(m));
        continue;
      }
      offsets[i] = static_cast<uint32_t>(rec_at);
      if (r.kind != static_cast<uint8_t>(Kind::File) && r.kind != static_cast<uint8_t>(Kind::Dir))
        return fs_fail(Err::Corrupt, "unknown node kind");
      if (r.kind == static_cast<uint8_t>(Kind::Dir)) {
        if (r.size != 0 || r.run_count != 0) return fs_fail(Err::Corrupt, "directory with data");
      } else {
        if (r.size > device_blocks * kBlockSize) return fs_fail(Err::Corrupt, "file larger than the device");
        CAPOS_TRY_STATUS(check_runs(r, device_blocks, bitmap));
      }
      if (i == 0) {
        if (r.parent != kNoParent || r.kind != static_cast<uint8_t>(Kind::Dir) || r.name_len != 0)
          return fs_fail(Err::Corrupt, "first node is not the root directory");
        continue;
      }
      if (r.parent >= i) return fs_fail(Err::Corrupt, "parent does not precede its child");
      if (image.data()[offsets[r.parent] + 4] != static_cast<uint8_t>(Kind::Dir))
        return fs_fail(Err::Corrupt, "parent is not a directory");
      CAPOS_TRY_STATUS(check_name(r.name, r.name_len));
      uint32_t h = name_hash(r.parent, r.name, r.name_len);
      for (size_t probe = 0;; ++probe) {
        uint32_t& slot = table[(h + probe) & (slots - 1)];
        if (slot == kNoParent) {
          slot = static_cast<uint32_t>(rec_at);
          break;
        }
        size_t o = slot;
        Record other = CAPOS_TRY(read_record(image, &o));
        if (other.parent == r.parent && other.name_len == r.name_len && memcmp(other.name, r.name, r.name_len) == 0)
          return fs_fail(Err::Corrupt, "two entries with the same name in one directory");
      }
    }
    if (pass == 0 && at != image.size()) return fs_fail(Err::Corrupt, "trailing bytes after the metadata");
  }
  return n;
}

}  // namespace capos::fs
