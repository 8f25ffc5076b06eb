#include "lib/fat/fat32.h"

namespace capos::fat {

using fs::FsError;
using fs::FsResult;
using fs::FsStatus;
using fs::fs_fail;
using fs::get_u32;

namespace {

constexpr uint32_t kEndOfChain = 0x0FFFFFF8;
constexpr uint32_t kBadCluster = 0x0FFFFFF7;
constexpr uint8_t kAttrDir = 0x10;
constexpr uint8_t kAttrVolume = 0x08;
constexpr uint8_t kAttrLfn = 0x0F;

uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// A node ref: first cluster, and (size << 1 | is_dir) as the serial.
fs::NodeRef make_ref(uint32_t cluster, bool dir, uint32_t size) {
  return fs::NodeRef{cluster, (uint64_t{dir ? 0u : size} << 1) | (dir ? 1 : 0)};
}
bool ref_dir(fs::NodeRef r) { return r.serial & 1; }
uint64_t ref_size(fs::NodeRef r) { return r.serial >> 1; }

uint8_t short_checksum(const uint8_t* name11) {
  uint8_t sum = 0;
  for (int i = 0; i < 11; ++i) sum = static_cast<uint8_t>(((sum & 1) << 7) + (sum >> 1) + name11[i]);
  return sum;
}

// UTF-8 of one code point into out[*n]; false if it does not fit.
bool put_utf8(uint32_t cp, char* out, size_t cap, size_t* n) {
  uint8_t b[4];
  size_t k;
  if (cp < 0x80) b[0] = static_cast<uint8_t>(cp), k = 1;
  else if (cp < 0x800) b[0] = static_cast<uint8_t>(0xC0 | (cp >> 6)), b[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F)), k = 2;
  else if (cp < 0x10000)
    b[0] = static_cast<uint8_t>(0xE0 | (cp >> 12)), b[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F)),
    b[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F)), k = 3;
  else
    b[0] = static_cast<uint8_t>(0xF0 | (cp >> 18)), b[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F)),
    b[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F)), b[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F)), k = 4;
  if (*n + k > cap) return false;
  memcpy(out + *n, b, k);
  *n += k;
  return true;
}

// Long-name accumulation across the LFN slots before a short entry.
struct LongName {
  uint16_t units[20 * 13];
  uint8_t expect = 0;  // next sequence number wanted (0: none in progress)
  uint8_t count = 0;   // slots in the name
  uint8_t checksum = 0;
  bool complete = false;

  void reset() { expect = 0, count = 0, complete = false; }
  void feed(const uint8_t* e) {
    uint8_t ord = e[0];
    uint8_t seq = ord & 0x1F;
    if (ord & 0x40) {
      if (seq == 0 || seq > 20) return reset();
      count = seq;
      checksum = e[13];
      complete = false;
    } else if (expect == 0 || seq != expect || e[13] != checksum) {
      return reset();
    }
    static constexpr uint8_t kOffsets[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
    for (int k = 0; k < 13; ++k) units[(seq - 1) * 13 + k] = get_u16(e + kOffsets[k]);
    expect = static_cast<uint8_t>(seq - 1);
    complete = seq == 1;
  }
  // UTF-8 into out; false if malformed (bad surrogates) or too long.
  bool decode(char* out, size_t cap, size_t* n) const {
    *n = 0;
    size_t total = size_t{count} * 13;
    for (size_t i = 0; i < total; ++i) {
      uint32_t u = units[i];
      if (u == 0) break;
      if (u >= 0xD800 && u < 0xDC00) {
        if (i + 1 >= total || units[i + 1] < 0xDC00 || units[i + 1] >= 0xE000) return false;
        u = 0x10000 + ((u - 0xD800) << 10) + (units[++i] - 0xDC00);
      } else if (u >= 0xDC00 && u < 0xE000) {
        return false;
      }
      if (!put_utf8(u, out, cap, n)) return false;
    }
    return *n > 0;
  }
};

// "NAME.EXT" from an 8.3 entry, with the NT case flags (0x08 base, 0x10
// extension lower case).
size_t short_name(const uint8_t* e, char* out) {
  size_t n = 0;
  bool lower_base = e[12] & 0x08, lower_ext = e[12] & 0x10;
  auto put = [&](uint8_t c, bool lower) {
    if (lower && c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c + 32);
    out[n++] = static_cast<char>(c);
  };
  int base_end = 8;
  while (base_end > 0 && e[base_end - 1] == ' ') --base_end;
  for (int i = 0; i < base_end; ++i) put(i == 0 && e[0] == 0x05 ? 0xE5 : e[i], lower_base);
  int ext_end = 11;
  while (ext_end > 8 && e[ext_end - 1] == ' ') --ext_end;
  if (ext_end > 8) {
    out[n++] = '.';
    for (int i = 8; i < ext_end; ++i) put(e[i], lower_ext);
  }
  return n;
}

}  // namespace

FsResult<Geometry> parse_boot_sector(Bytes s, uint64_t device_sectors) {
  if (s.size() < kSector) return fs_fail(Err::Truncated, "boot sector cut short");
  const uint8_t* b = s.data();
  if (b[510] != 0x55 || b[511] != 0xAA) return fs_fail(Err::NotFound, "no FAT boot sector signature");
  if (get_u16(b + 11) != kSector) return fs_fail(Err::Unsupported, "only 512-byte sectors are supported");
  Geometry g{};
  g.sectors_per_cluster = b[13];
  if (g.sectors_per_cluster == 0 || (g.sectors_per_cluster & (g.sectors_per_cluster - 1)) != 0 ||
      g.sectors_per_cluster > 64)
    return fs_fail(Err::Corrupt, "sectors per cluster is not a power of two up to 64");
  g.reserved_sectors = get_u16(b + 14);
  g.fats = b[16];
  if (g.reserved_sectors == 0) return fs_fail(Err::Corrupt, "no reserved sectors");
  if (g.fats == 0 || g.fats > 2) return fs_fail(Err::Corrupt, "FAT count must be 1 or 2");
  if (get_u16(b + 17) != 0 || get_u16(b + 19) != 0 || get_u16(b + 22) != 0)
    return fs_fail(Err::Unsupported, "not FAT32 (FAT12/16 fields are set)");
  g.total_sectors = get_u32(b + 32);
  g.fat_sectors = get_u32(b + 36);
  g.root_cluster = get_u32(b + 44);
  if (g.total_sectors == 0 || g.total_sectors > device_sectors)
    return fs_fail(Err::Corrupt, "volume larger than the device");
  if (g.fat_sectors == 0) return fs_fail(Err::Corrupt, "FAT size is zero");
  uint64_t meta = g.reserved_sectors + uint64_t{g.fats} * g.fat_sectors;
  if (meta >= g.total_sectors) return fs_fail(Err::Corrupt, "FATs fill the whole volume");
  g.data_start = meta;
  uint64_t clusters = (g.total_sectors - meta) / g.sectors_per_cluster;
  if (clusters == 0 || clusters > 0x0FFFFFF5) return fs_fail(Err::Corrupt, "cluster count out of range");
  if (clusters + 2 > uint64_t{g.fat_sectors} * (kSector / 4)) return fs_fail(Err::Corrupt, "FAT too small for the clusters");
  g.clusters = static_cast<uint32_t>(clusters);
  if (g.root_cluster < 2 || g.root_cluster >= g.clusters + 2) return fs_fail(Err::Corrupt, "root cluster out of range");
  return g;
}

fs::FsStatus Fat32::mount() {
  mounted_ = false;
  cached_block_ = ~uint64_t{0};
  uint8_t sector[kSector];
  CAPOS_TRY_STATUS(read_sector(0, sector));
  geo_ = CAPOS_TRY(parse_boot_sector(Bytes(sector, kSector), dev_.block_count() * (fs::kBlockSize / kSector)));
  mounted_ = true;
  // Every chain and entry reachable from the root must be sound before
  // any capability reaches it.
  uint64_t budget = uint64_t{geo_.clusters} + kMaxDirEntries;
  FsStatus st = check_dir(root(), 0, &budget);
  if (!st) {
    mounted_ = false;
    return st;
  }
  // Free space for fsStat: the FAT entries that are 0.
  free_clusters_ = 0;
  for (uint64_t c = 2; c < uint64_t{geo_.clusters} + 2; ++c) {
    uint64_t byte = c * 4;
    if (c == 2 || byte % kSector == 0) CAPOS_TRY_STATUS(read_sector(geo_.reserved_sectors + byte / kSector, sector));
    free_clusters_ += (get_u32(sector + byte % kSector) & 0x0FFFFFFF) == 0;
  }
  return {};
}

// A chain from `first` that ends (end-of-chain mark) after exactly
// `clusters` clusters (for a directory: after at most `clusters`).
FsStatus Fat32::check_chain(uint32_t first, uint64_t clusters, bool exact, uint64_t* budget) {
  if (first < 2 || first >= geo_.clusters + 2) return fs_fail(Err::Corrupt, "cluster out of range");
  uint64_t n = 1;
  for (uint32_t c = first;; ++n) {
    if (n > clusters) return fs_fail(Err::Corrupt, "cluster chain longer than its entry (or a loop)");
    if ((*budget)-- == 0) return fs_fail(Err::Corrupt, "cluster chains longer than the volume (a loop)");
    c = CAPOS_TRY(next_cluster(c));
    if (c == 0) break;
  }
  if (exact && n != clusters) return fs_fail(Err::Corrupt, "cluster chain shorter than its file");
  return {};
}

FsStatus Fat32::check_dir(fs::NodeRef dir, uint32_t depth, uint64_t* budget) {
  if (depth > kMaxDepth) return fs_fail(Err::Corrupt, "directories nested deeper than 16");
  uint64_t max = (uint64_t{kMaxDirEntries} * 32 + cluster_bytes() - 1) / cluster_bytes();
  CAPOS_TRY_STATUS(check_chain(dir.index, max, false, budget));
  for (uint64_t cursor = 0;;) {
    auto e = next_entry(dir, cursor);
    if (!e) {
      if (e.error().code == Err::NotFound && StrView(e.error().detail) == "no more entries") return {};
      return fail(e.error());
    }
    cursor = e->cursor;
    if (e->kind == fs::Kind::Dir) {
      if (e->ref.index == dir.index) return fs_fail(Err::Corrupt, "a directory contains itself");
      CAPOS_TRY_STATUS(check_dir(e->ref, depth + 1, budget));
    } else if (e->size) {
      CAPOS_TRY_STATUS(check_chain(e->ref.index, (e->size + cluster_bytes() - 1) / cluster_bytes(), true, budget));
    }
  }
}

FsStatus Fat32::read_sector(uint64_t sector, uint8_t* out) {
  uint64_t block = sector / (fs::kBlockSize / kSector);
  if (block >= dev_.block_count()) return fs_fail(Err::Corrupt, "sector outside the device");
  if (block != cached_block_) {
    cached_block_ = ~uint64_t{0};
    CAPOS_TRY_STATUS(dev_.read(block, 1, MutBytes(block_, fs::kBlockSize)));
    cached_block_ = block;
  }
  memcpy(out, block_ + (sector % (fs::kBlockSize / kSector)) * kSector, kSector);
  return {};
}

FsResult<uint32_t> Fat32::next_cluster(uint32_t c) {
  uint64_t byte = uint64_t{c} * 4;
  uint8_t sector[kSector];
  CAPOS_TRY_STATUS(read_sector(geo_.reserved_sectors + byte / kSector, sector));
  uint32_t v = get_u32(sector + byte % kSector) & 0x0FFFFFFF;
  if (v >= kEndOfChain) return uint32_t{0};
  if (v == kBadCluster) return fs_fail(Err::Corrupt, "chain reaches a bad cluster");
  if (v < 2 || v >= geo_.clusters + 2) return fs_fail(Err::Corrupt, "FAT entry out of range");
  return v;
}

FsResult<uint32_t> Fat32::cluster_at(uint32_t first, uint64_t offset, uint64_t max_clusters) {
  uint64_t index = offset / cluster_bytes();
  if (index >= max_clusters) return fs_fail(Err::NotFound, "past the end of the chain");
  if (first < 2 || first >= geo_.clusters + 2) return fs_fail(Err::Corrupt, "cluster out of range");
  uint64_t at = 0;
  uint32_t c = first;
  if (walk_first_ == first && walk_index_ <= index && walk_cluster_) at = walk_index_, c = walk_cluster_;
  for (; at < index; ++at) {
    c = CAPOS_TRY(next_cluster(c));
    if (c == 0) return fs_fail(Err::NotFound, "past the end of the chain");
  }
  walk_first_ = first, walk_index_ = index, walk_cluster_ = c;
  return c;
}

FsResult<const uint8_t*> Fat32::dir_slot(uint32_t first, uint64_t i) {
  if (i >= kMaxDirEntries) return fs_fail(Err::NotFound, "past the largest directory");
  uint64_t off = i * 32;
  uint64_t max = (uint64_t{kMaxDirEntries} * 32 + cluster_bytes() - 1) / cluster_bytes();
  uint32_t c = CAPOS_TRY(cluster_at(first, off, max));
  uint64_t in = off % cluster_bytes();
  uint8_t sector[kSector];
  CAPOS_TRY_STATUS(read_sector(geo_.data_start + uint64_t{c - 2} * geo_.sectors_per_cluster + in / kSector, sector));
  memcpy(slot_, sector + in % kSector, 32);
  return static_cast<const uint8_t*>(slot_);
}

FsResult<fs::Entry> Fat32::next_entry(fs::NodeRef dir, uint64_t cursor) {
  if (!mounted_) return fs_fail(Err::Failed, "filesystem not mounted");
  if (!ref_dir(dir)) return fs_fail(Err::Failed, "not a directory");
  LongName lfn;
  for (uint64_t i = cursor;; ++i) {
    auto slot = dir_slot(dir.index, i);
    if (!slot) {
      if (slot.error().code == Err::NotFound) return fs_fail(Err::NotFound, "no more entries");
      return fail(slot.error());
    }
    const uint8_t* e = *slot;
    if (e[0] == 0x00) return fs_fail(Err::NotFound, "no more entries");
    if (e[0] == 0xE5) {
      lfn.reset();
      continue;
    }
    if ((e[11] & 0x3F) == kAttrLfn) {
      lfn.feed(e);
      continue;
    }
    bool have_long = lfn.complete && lfn.checksum == short_checksum(e);
    size_t n = 0;
    if (!have_long || !lfn.decode(name_, fs::kNameMax, &n)) n = short_name(e, name_);
    lfn.reset();
    if (e[11] & kAttrVolume) continue;
    if (!fs::check_name(name_, n)) continue;  // ".", "..", or a name no capability may carry
    bool is_dir = e[11] & kAttrDir;
    uint32_t cluster = (uint32_t{get_u16(e + 20)} << 16) | get_u16(e + 26);
    uint32_t size = get_u32(e + 28);
    if (is_dir ? (cluster < 2 || cluster >= geo_.clusters + 2)
               : (size == 0 ? cluster != 0 && (cluster < 2 || cluster >= geo_.clusters + 2)
                            : (cluster < 2 || cluster >= geo_.clusters + 2)))
      continue;  // an entry pointing outside the volume is not offered
    return fs::Entry{make_ref(cluster, is_dir, size), is_dir ? fs::Kind::Dir : fs::Kind::File, StrView(name_, n),
                     is_dir ? 0 : uint64_t{size}, i + 1};
  }
}

FsResult<fs::NodeRef> Fat32::lookup(fs::NodeRef dir, StrView name) {
  CAPOS_TRY_STATUS(fs::check_name(name.ptr, name.size()));
  for (uint64_t cursor = 0;;) {
    auto e = next_entry(dir, cursor);
    if (!e) {
      if (e.error().code == Err::NotFound) return fs_fail(Err::NotFound, "no such entry");
      return fail(e.error());
    }
    // FAT names compare without regard to ASCII case.
    bool same = e->name.size() == name.size();
    for (size_t k = 0; same && k < name.size(); ++k) {
      char a = e->name.ptr[k], b = name.ptr[k];
      if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + 32);
      if (b >= 'A' && b <= 'Z') b = static_cast<char>(b + 32);
      same = a == b;
    }
    if (same) return e->ref;
    cursor = e->cursor;
  }
}

FsResult<fs::NodeInfo> Fat32::stat(fs::NodeRef n) {
  if (!mounted_) return fs_fail(Err::Failed, "filesystem not mounted");
  fs::NodeInfo info{ref_dir(n) ? fs::Kind::Dir : fs::Kind::File, ref_size(n), 0, 0};
  if (ref_dir(n)) {
    for (uint64_t cursor = 0;;) {
      auto e = next_entry(n, cursor);
      if (!e) break;
      ++info.size;
      cursor = e->cursor;
    }
  } else {
    info.blocks = (info.size + cluster_bytes() - 1) / cluster_bytes();
  }
  return info;
}

FsResult<size_t> Fat32::read(fs::NodeRef f, uint64_t offset, MutBytes out) {
  if (!mounted_) return fs_fail(Err::Failed, "filesystem not mounted");
  if (ref_dir(f)) return fs_fail(Err::Failed, "is a directory");
  uint64_t size = ref_size(f);
  if (offset >= size) return size_t{0};
  size_t len = out.size() < size - offset ? out.size() : static_cast<size_t>(size - offset);
  uint64_t chain = (size + cluster_bytes() - 1) / cluster_bytes();
  uint8_t sector[kSector];
  for (size_t done = 0; done < len;) {
    uint64_t pos = offset + done;
    auto c = cluster_at(f.index, pos, chain);
    if (!c) {
      if (c.error().code == Err::NotFound) return fs_fail(Err::Corrupt, "cluster chain shorter than the file");
      return fail(c.error());
    }
    uint64_t in = pos % cluster_bytes();
    CAPOS_TRY_STATUS(read_sector(geo_.data_start + uint64_t{*c - 2} * geo_.sectors_per_cluster + in / kSector, sector));
    size_t chunk = kSector - in % kSector;
    if (chunk > len - done) chunk = len - done;
    memcpy(out.data() + done, sector + in % kSector, chunk);
    done += chunk;
  }
  return len;
}

fs::FsInfo Fat32::info() const {
  constexpr uint64_t kSectorsPerBlock = fs::kBlockSize / kSector;
  return fs::FsInfo{uint64_t{geo_.clusters} * geo_.sectors_per_cluster / kSectorsPerBlock,
                    free_clusters_ * geo_.sectors_per_cluster / kSectorsPerBlock, 0, 0};
}

}  // namespace capos::fat
