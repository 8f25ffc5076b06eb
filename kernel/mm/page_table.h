// x86_64 4-level page-table editor, independent of how physical memory
// is reached (PtEnv), so the same code runs in the kernel and in host
// tests. Used for the kernel's own tables and, later, user address spaces.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos {

namespace pte {
constexpr uint64_t PRESENT = 1ull << 0;
constexpr uint64_t WRITE = 1ull << 1;
constexpr uint64_t USER = 1ull << 2;
constexpr uint64_t PWT = 1ull << 3;
constexpr uint64_t PCD = 1ull << 4;
constexpr uint64_t ACCESSED = 1ull << 5;
constexpr uint64_t DIRTY = 1ull << 6;
constexpr uint64_t HUGE = 1ull << 7;
constexpr uint64_t GLOBAL = 1ull << 8;
constexpr uint64_t DEVICE = 1ull << 9;  // software bit: a device's registers (never a kernel copy target)
constexpr uint64_t NX = 1ull << 63;
constexpr uint64_t ADDR_MASK = 0x000FFFFFFFFFF000ull;
// Leaf permission bits a caller may request.
constexpr uint64_t LEAF_FLAGS = WRITE | USER | PWT | PCD | GLOBAL | DEVICE | NX;
}  // namespace pte

enum class PageSize : uint8_t { Size4K, Size2M };

class PtEnv {
 public:
  // A zeroed frame for a new table, or an error.
  virtual Result<uint64_t> alloc_table() = 0;
  virtual void free_table(uint64_t phys) = 0;
  // Writable view of the table at `phys`.
  virtual uint64_t* table(uint64_t phys) = 0;

 protected:
  ~PtEnv() = default;
};

struct Translation {
  uint64_t phys;   // physical address of `va` itself
  uint64_t flags;  // effective leaf flags
  PageSize size;
};

class PageTable {
 public:
  PageTable() = default;
  PageTable(PtEnv& env, uint64_t root) : env_(&env), root_(root) {}
  static Result<PageTable> create(PtEnv& env);

  uint64_t root() const { return root_; }
  // Maps one page. Fails (AlreadyExists) rather than silently replacing a
  // mapping; fails (InvalidArgument) on misalignment or non-canonical va.
  Status map(uint64_t va, uint64_t pa, uint64_t flags, PageSize size = PageSize::Size4K);
  // Removes one 4 KiB mapping; returns the physical frame it pointed at.
  Result<uint64_t> unmap(uint64_t va);
  // Replaces the permission bits of an existing 4 KiB mapping.
  Status protect(uint64_t va, uint64_t flags);
  Result<Translation> translate(uint64_t va) const;
  // Copies the top-level entries [from, 512) of `other` (shared kernel half).
  void share_upper_half(const PageTable& other, unsigned from = 256);
  // Frees every table page reachable from the root below `upper_from`
  // entries (not the mapped frames themselves) and the root itself.
  void destroy(unsigned upper_from = 256);
  // Frees the intermediate tables that cover part of [va, va + len) in
  // the lower (user) half and no longer hold any entry, clearing the
  // entries that pointed at them. The root stays. Call after unmapping a
  // range, so sparse map/unmap cycles cannot accumulate empty tables.
  void prune(uint64_t va, uint64_t len);

  static bool canonical(uint64_t va) {
    uint64_t top = va >> 47;
    return top == 0 || top == 0x1FFFF;
  }

 private:
  Result<uint64_t*> walk_create(uint64_t va, int level_stop, uint64_t flags);
  uint64_t* walk(uint64_t va, int* level_out) const;
  void free_level(uint64_t table_phys, int level);
  bool prune_level(uint64_t* table, int level, uint64_t base, uint64_t lo, uint64_t hi);

  PtEnv* env_ = nullptr;
  uint64_t root_ = 0;
};

}  // namespace capos
