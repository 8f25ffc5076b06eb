// A user address space: page tables whose upper half is shared with the
// kernel, plus a region list recording what each user range is, so
// teardown frees exactly the frames the process owns. User memory is
// only ever touched through translate-then-direct-map copies, validated
// page by page; the kernel never dereferences a user pointer.
#pragma once

#include <stdint.h>

#include "kernel/cap/ledger.h"
#include "kernel/mm/page_table.h"
#include "lib/core/fixed_vector.h"
#include "lib/core/span.h"

namespace capos {

enum class VmaKind : uint8_t { Image, Stack, Ring, CapSet, Anonymous };

struct Vma {
  uint64_t start;
  uint64_t pages;
  uint64_t flags;  // pte:: leaf flags
  VmaKind kind;
};

// Protections a user mapping may request.
struct UserProt {
  bool read, write, exec;
};

class AddressSpace {
 public:
  static constexpr size_t MAX_VMAS = 128;

  AddressSpace() = default;
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  Status init(ResourceLedger* ledger);
  uint64_t root() const { return table_.root(); }

  // Maps `pages` fresh zeroed frames at `va`, charged to the ledger. On
  // failure nothing stays mapped or charged.
  Status map_anonymous(uint64_t va, uint64_t pages, UserProt prot, VmaKind kind);
  // Unmaps a whole region previously mapped at exactly `va`.
  Status unmap_region(uint64_t va);

  // Kernel writes into user pages regardless of their user permissions
  // (image loading); the range must be mapped.
  Status kernel_write(uint64_t va, Bytes data);
  Status kernel_zero(uint64_t va, uint64_t len);
  // Copies honouring user permissions: Fault if any page is not mapped
  // user-readable (from) / user-writable (to).
  Status copy_from_user(void* dst, uint64_t va, uint64_t len) const;
  Status copy_to_user(uint64_t va, const void* src, uint64_t len) const;
  // Copies between two user address spaces (IPC), honouring user
  // permissions on both sides: source readable, destination writable.
  static Status copy_between(const AddressSpace& src, uint64_t src_va, const AddressSpace& dst, uint64_t dst_va,
                             uint64_t len);
  // Checks (without copying) that the whole range is user-accessible,
  // writable too when `write`.
  Status check_user(uint64_t va, uint64_t len, bool write) const;
  // Physical frame behind a mapped user page (for the ring/CapSet pages).
  Result<uint64_t> frame_of(uint64_t va) const;

  // Frees every owned frame and table; the space is unusable afterwards.
  // Must not be the active CR3.
  void destroy();
  const Vma* find(uint64_t va) const;
  uint64_t mapped_pages() const;

  static bool user_range_ok(uint64_t va, uint64_t len);

 private:
  Status copy_user(uint64_t va, uint64_t len, bool to_user, bool honour_perms, uint8_t* kbuf,
                   const uint8_t* ksrc) const;
  void unmap_pages(uint64_t va, uint64_t pages);
  PageTable table_;
  ResourceLedger* ledger_ = nullptr;
  FixedVector<Vma, MAX_VMAS> vmas_;
};

}  // namespace capos
