// A read-only FAT32 reader (docs/storage.md, "FAT32"): the same Volume
// interface as the capOS filesystem, so fsd serves a FAT32 disk's
// Directory and File objects unchanged. Everything on the disk is
// untrusted: the boot sector is validated before anything else is read
// (geometry, FAT size against the cluster count, the root cluster), every
// cluster number taken from a FAT or a directory entry is range-checked,
// chains are bounded by the size they must cover (a loop is an error, not
// a hang), and names (8.3, with the NT lower-case flags, or VFAT long
// names with their checksum) must pass the same name rules as the capOS
// filesystem, or the entry is skipped.
#pragma once

#include <stdint.h>

#include "lib/fs/fs.h"
#include "lib/fs/volume.h"

namespace capos::fat {

constexpr uint32_t kSector = 512;
constexpr uint32_t kMaxDirEntries = 65536;  // FAT's own limit per directory
constexpr uint32_t kMaxDepth = 16;          // directory nesting served

struct Geometry {
  uint32_t sectors_per_cluster;
  uint32_t reserved_sectors;
  uint32_t fats;
  uint32_t fat_sectors;
  uint64_t total_sectors;
  uint32_t root_cluster;
  uint32_t clusters;  // data clusters: numbers 2 .. clusters + 1
  uint64_t data_start;  // first sector of cluster 2
};
// Validates a boot sector (512 bytes) against a device of `device_sectors`.
fs::FsResult<Geometry> parse_boot_sector(Bytes sector, uint64_t device_sectors);

class Fat32 final : public fs::Volume {
 public:
  explicit Fat32(fs::BlockStore& dev) : dev_(dev) {}
  fs::FsStatus mount();

  // Node refs: index = the first cluster (0 for an empty file), serial =
  // size * 2 for a file, 1 for a directory.
  fs::NodeRef root() const override { return fs::NodeRef{geo_.root_cluster, 1}; }
  fs::FsResult<fs::NodeRef> lookup(fs::NodeRef dir, StrView name) override;
  fs::FsResult<fs::NodeInfo> stat(fs::NodeRef n) override;
  fs::FsResult<fs::Entry> next_entry(fs::NodeRef dir, uint64_t cursor) override;
  fs::FsResult<size_t> read(fs::NodeRef file, uint64_t offset, MutBytes out) override;
  fs::FsInfo info() const override;
  StrView format_name() const override { return "fat32 (read-only)"; }
  bool read_only() const override { return true; }

  fs::FsResult<fs::NodeRef> create(fs::NodeRef, StrView, fs::Kind) override { return refuse(); }
  fs::FsStatus remove(fs::NodeRef, StrView) override { return refuse(); }
  fs::FsStatus rename(fs::NodeRef, StrView, fs::NodeRef, StrView) override { return refuse(); }
  fs::FsStatus write(fs::NodeRef, uint64_t, Bytes) override { return refuse(); }
  fs::FsStatus truncate(fs::NodeRef, uint64_t) override { return refuse(); }
  fs::FsStatus sync() override { return refuse(); }

 private:
  static Failure<fs::FsError> refuse() { return fs::fs_fail(Err::InvalidArgument, "read-only filesystem"); }
  fs::FsStatus read_sector(uint64_t sector, uint8_t* out);
  fs::FsResult<uint32_t> next_cluster(uint32_t c);
  fs::FsStatus check_chain(uint32_t first, uint64_t clusters, bool exact, uint64_t* budget);
  fs::FsStatus check_dir(fs::NodeRef dir, uint32_t depth, uint64_t* budget);
  // The cluster holding byte `offset` of the chain starting at `first`,
  // at most `max_clusters` long.
  fs::FsResult<uint32_t> cluster_at(uint32_t first, uint64_t offset, uint64_t max_clusters);
  // Reads directory slot `i` (32 bytes) of directory `first`; NotFound past its end.
  fs::FsResult<const uint8_t*> dir_slot(uint32_t first, uint64_t i);
  uint64_t cluster_bytes() const { return uint64_t{geo_.sectors_per_cluster} * kSector; }

  fs::BlockStore& dev_;
  Geometry geo_{};
  bool mounted_ = false;
  uint64_t free_clusters_ = 0;
  // One 4 KiB device block cached (sectors are read through it).
  uint64_t cached_block_ = ~uint64_t{0};
  alignas(8) uint8_t block_[fs::kBlockSize];
  uint8_t slot_[32];
  char name_[fs::kNameMax + 1];  // the last entry's name (valid until the next call)
  // Walk cache for sequential reads: chain `first`, cluster index, cluster.
  uint32_t walk_first_ = 0;
  uint64_t walk_index_ = 0;
  uint32_t walk_cluster_ = 0;
};

}  // namespace capos::fat
