// RangeSet: bookkeeping for a user address space's virtual regions, the
// state behind VirtualMemory map/unmap/protect/reserve/commit/decommit.
// A sorted array of non-overlapping, page-aligned ranges with attributes,
// in caller-provided storage (no allocation, usable in the kernel).
//
// Rules every operation keeps:
//  - all-or-nothing: on any error the set is unchanged;
//  - capacity is checked before anything is mutated (Overloaded);
//  - addresses are bytes (page-aligned), sizes are pages, and base + size
//    is overflow-checked (a range may not end past 2^64 - 1);
//  - insert/remove/set_attrs leave adjacent equal-attribute ranges merged,
//    so the representation is canonical unless split_at() was used.
// Policy (W^X, user-half limits, reserved ABI regions) belongs to the
// caller; this layer only validates its own invariants. Docs: docs/memory.md.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::mm {

inline constexpr uint64_t kPageSize = 4096;

enum class RangeState : uint8_t { Reserved = 1, Committed = 2 };

// Protection bits (RangeAttrs::prot).
inline constexpr uint8_t kProtRead = 1;
inline constexpr uint8_t kProtWrite = 2;
inline constexpr uint8_t kProtExec = 4;
inline constexpr uint8_t kProtMask = kProtRead | kProtWrite | kProtExec;

struct RangeAttrs {
  RangeState state = RangeState::Reserved;
  uint8_t prot = 0;
  uint8_t kind = 0;    // caller's tag (anonymous, memory object, ring, stack...)
  uint64_t owner = 0;  // caller's tag; make it unique per mapping to keep
                       // adjacent mappings from merging
  bool operator==(const RangeAttrs&) const = default;
};

// Field selector for set_attrs: only the chosen fields are overwritten, so
// e.g. protect() over a reserved+committed span keeps each part's state.
inline constexpr uint8_t kAttrState = 1;
inline constexpr uint8_t kAttrProt = 2;
inline constexpr uint8_t kAttrKind = 4;
inline constexpr uint8_t kAttrOwner = 8;
inline constexpr uint8_t kAttrAll = 15;

struct Range {
  uint64_t base = 0;   // bytes, page-aligned
  uint64_t pages = 0;  // > 0
  RangeAttrs attrs;
  uint64_t end() const { return base + pages * kPageSize; }  // exclusive; never overflows
};

class RangeSet {
 public:
  explicit RangeSet(Span<Range> storage) : slots_(storage.data()), cap_(storage.size()) {}

  size_t size() const { return size_; }
  size_t capacity() const { return cap_; }
  Span<const Range> ranges() const { return Span<const Range>(slots_, size_); }
  void clear() { size_ = 0; }

  // First fit: lowest page-aligned base b with [b, b + pages) free and
  // inside [lo, hi). A hint in [lo, hi) is tried first (lowest b >= hint),
  // falling back to the whole window. hint 0 = none. NotFound if no gap.
  Result<uint64_t> find_gap(uint64_t pages, uint64_t lo, uint64_t hi, uint64_t hint = 0) const;

  // Adds [base, base + pages). AlreadyExists if any page is present.
  Status insert(uint64_t base, uint64_t pages, const RangeAttrs& attrs);

  // Removes every present page in [base, base + pages) (holes allowed,
  // like munmap); returns the number of pages removed. Cutting the middle
  // out of one range needs one extra entry (Overloaded when full).
  Result<uint64_t> remove(uint64_t base, uint64_t pages);

  // Overwrites the `mask` fields of every page in [base, base + pages),
  // splitting ranges at the edges as needed. Every page must be present
  // (NotFound otherwise, like mprotect). Needs up to 2 extra entries,
  // counted before merging: a set within 2 of capacity may refuse an
  // update whose merged result would have fit.
  Status set_attrs(uint64_t base, uint64_t pages, const RangeAttrs& attrs, uint8_t mask = kAttrAll);

  // Splits the range containing addr (aligned) at addr. No-op if addr is a
  // boundary or unmapped. Leaves equal neighbours unmerged until coalesce().
  Status split_at(uint64_t addr);
  // Merges every pair of adjacent equal-attribute ranges.
  void coalesce();

  // The range covering addr (any byte address). NotFound if none.
  Result<Range> find(uint64_t addr) const;
  // Ranges intersecting [a, b) (byte addresses), in address order. The
  // span is invalidated by the next mutation.
  Span<const Range> intersecting(uint64_t a, uint64_t b) const;
  // True if no page of [base, base + pages) is present / every page is.
  // Invalid arguments answer false.
  bool is_free(uint64_t base, uint64_t pages) const;
  bool is_covered(uint64_t base, uint64_t pages) const;

  // Structural self-check (sorted, disjoint, aligned, non-empty, valid attrs).
  bool check_invariants() const;

 private:
  size_t lower_bound_end(uint64_t addr) const;  // first index with end() > addr
  void open_gap(size_t at, size_t n);           // shift [at, size) right by n
  void close_gap(size_t at, size_t n);          // drop n entries at `at`
  void merge_window(size_t lo, size_t hi);      // merge equal neighbours in [lo, hi]

  Range* slots_;
  size_t cap_;
  size_t size_ = 0;
};

// Validates and computes the exclusive end of [base, base + pages).
Result<uint64_t> range_end(uint64_t base, uint64_t pages);
bool valid_attrs(const RangeAttrs& a);

}  // namespace capos::mm
