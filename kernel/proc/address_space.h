// A user address space: page tables whose upper half is shared with the
// kernel, plus a region list recording what each user range is, so
// teardown frees exactly the frames the process owns. User memory is
// only ever touched through translate-then-direct-map copies, validated
// page by page; the kernel never dereferences a user pointer.
#pragma once

#include <stdint.h>

#include "kernel/cap/ledger.h"
#include "kernel/cap/object.h"
#include "kernel/arch/x86_64/tlb.h"
#include "kernel/debug/measure.h"
#include "kernel/mm/page_table.h"
#include "kernel/mm/user_addr.h"
#include "lib/abi/layout.h"
#include "lib/core/fixed_vector.h"
#include "lib/core/intrusive_list.h"
#include "lib/core/span.h"
#include "lib/mm/range_set.h"
#include "kernel/sched/kernel_lock.h"

namespace capos {

enum class VmaKind : uint8_t { Image, Stack, Ring, CapSet, Anonymous };

struct Vma {
  uint64_t start;
  uint64_t pages;
  uint64_t flags;  // pte:: leaf flags
  VmaKind kind;
  bool lazy;       // demand-zero: frames appear on first touch (charged up front)
};

// Protections a user mapping may request.
struct UserProt {
  bool read, write, exec;
};

class AddressSpace;

// Frames charged to a payer's ledger by an object that may outlive the
// payer (a MemoryObject held or mapped elsewhere). The payer's teardown
// detaches every charge it still carries, so its ledger empties at exit.
struct FrameCharge {
  ListNode node;
  AddressSpace* payer = nullptr;
  uint64_t pages = 0;
  const KObject* object = nullptr;  // whose frames (to find an heir)
};

// Kinds of range in the VirtualMemory window (RangeSet attrs.kind).
enum class HeapKind : uint8_t { Anonymous = 1, Object = 2 };

class AddressSpace {
 public:
  static constexpr size_t MAX_VMAS = 128;
  static constexpr size_t MAX_HEAP_RANGES = 128;
  static constexpr size_t MAX_OBJECT_MAPPINGS = 64;

  AddressSpace() = default;
  AddressSpace(const AddressSpace&) = delete;
  AddressSpace& operator=(const AddressSpace&) = delete;

  Status init(ResourceLedger* ledger);
  uint64_t root() const { return table_.root(); }
  // CPUs that have these tables loaded: kept by the scheduler's switch,
  // read by TLB shootdown (docs/smp.md).
  arch::CpuMask& residency() { return resident_; }

  // Maps `pages` fresh zeroed frames at `va`, charged to the ledger. On
  // failure nothing stays mapped or charged.
  // With `lazy`, the pages are charged now but get their zeroed frames on
  // first touch (fault_in), so untouched bss, heap arenas and stack cost
  // nothing.
  Status map_anonymous(UserAddr va, uint64_t pages, UserProt prot, VmaKind kind, bool lazy = false);
  // Maps `pages` fresh frames at `va` (VmaKind::Image, charged like
  // map_anonymous) holding `file` from byte `offset` of the first page and
  // zeros everywhere else. Each frame is written in full before it is
  // mapped, so it is not cleared first (an ELF segment's pages are mostly
  // file bytes). InvalidArgument when `file` does not fit.
  Status map_image(UserAddr va, uint64_t pages, UserProt prot, uint64_t offset, Bytes file);
  // Materializes the demand-zero page holding `va`. Fault: `va` is not a
  // missing page of a demand-zero region (a real fault); OutOfMemory: it
  // is, but no frame or page table could be had (the page was charged up
  // front, so this is machine-wide exhaustion, not the process's quota).
  Status fault_in(UserAddr va) const;
  // Unmaps a whole region previously mapped at exactly `va`.
  Status unmap_region(UserAddr va);

  // User memory is reached only through these; each names its side by
  // type (kernel/mm/user_addr.h), so a kernel-direct write, a copy out
  // and a copy in never share a signature.
  // Kernel writes into user pages regardless of their user permissions
  // (image loading); the range must be mapped.
  Status kernel_write(UserAddr va, Bytes data);
  // Copies honouring user permissions: Fault if any page of the span is
  // not mapped user-readable (in) / user-writable (out). copy_from_user
  // reads all of `src` into `dst`; copy_to_user writes all of `dst`.
  Status copy_from_user(void* dst, UserIn src) const;
  Status copy_to_user(UserOut dst, const void* src) const;
  // Copies all of `src` (in `from`) to the start of `dst` (in `to`), the
  // two user address spaces of an IPC, honouring user permissions on both
  // sides. Fault too when `dst` is shorter than `src`.
  static Status copy_between(const AddressSpace& from, UserIn src, const AddressSpace& to, UserOut dst);
  // After a copy or check of a span failed: OutOfMemory when a demand-zero
  // page in it could not be materialized (the machine is out of frames),
  // else Fault (a bad address or permission). Cold path: the copy loops
  // themselves only say Fault.
  template <UserAccess A> [[gnu::cold]] Err why_unusable(UserSpan<A> s) const {
    return why_unusable_range(s.addr.raw(), s.len);
  }
  // Checks (without copying) that the whole span is user-readable (in) or
  // user-writable (out).
  // The common case -- a span within one page whose leaf is in the walk
  // cache -- is inline (an endpoint round trip checks five such spans);
  // everything else goes through check_user_range.
  [[gnu::always_inline]] Status check_user(UserIn s) const { return check_range(s.addr.raw(), s.len, false); }
  [[gnu::always_inline]] Status check_user(UserOut s) const { return check_range(s.addr.raw(), s.len, true); }
  // Physical frame behind a mapped user page (for the ring/CapSet pages).
  Result<uint64_t> frame_of(UserAddr va) const;

  // Frees every owned frame and table; the space is unusable afterwards.
  // Must not be the active CR3.
  void destroy() CAPOS_REQUIRES(g_kernel_lock);
  const Vma* find(UserAddr va) const { return find_vma(va.raw()); }
  uint64_t mapped_pages() const;

  // ---- VirtualMemory: anonymous memory in [USER_HEAP_BASE, USER_HEAP_END)
  // (address_space_vm.cpp). Sizes are bytes (non-zero page multiples);
  // `prot` is mm::kProt* bits. Every call is all-or-nothing. Every
  // anonymous page holds one VirtualPages unit; committed pages also hold
  // one FramePages unit. Errors: InvalidArgument (bad range/protection or
  // pages not owned), Overloaded (quota, free frames, address space or
  // bookkeeping capacity exhausted).
  Result<UserAddr> vm_map(UserAddr hint, uint64_t size, uint8_t prot);
  Result<UserAddr> vm_reserve(UserAddr hint, uint64_t size);
  Status vm_unmap(UserAddr addr, uint64_t size);
  Status vm_protect(UserAddr addr, uint64_t size, uint8_t prot);
  Status vm_commit(UserAddr addr, uint64_t size, uint8_t prot);
  Status vm_decommit(UserAddr addr, uint64_t size);

  // MemoryObject mappings in the same window: `frames` mapped at a free
  // base; the mapping holds `object` alive until unmap_object or destroy.
  // No ledger charge (the object's payer carries it). With `device` the
  // frames are a device's registers: mapped uncached and marked so the
  // kernel's user-copy helpers refuse them (pte::DEVICE).
  Result<UserAddr> map_object(Ref<KObject> object, Span<const uint64_t> frames, UserAddr hint, uint8_t prot,
                              bool device = false);
  Status unmap_object(const KObject* object, UserAddr addr);

  // Records a charge of `pages` FramePages (already committed to this
  // space's ledger) / returns it to the ledger.
  void attach_charge(FrameCharge& c, const KObject* object, uint64_t pages) CAPOS_REQUIRES(g_kernel_lock);
  static void release_charge(FrameCharge& c) CAPOS_REQUIRES(g_kernel_lock);
  // True when this space maps `object`.
  bool maps(const KObject* object) const;
  // When a payer's space is destroyed while an object it pays for lives
  // on elsewhere, the charge moves to the space `find` names (another
  // holder of the object), or is dropped if nobody holds it any more.
  using HeirFinder = AddressSpace* (*)(const KObject* object, const AddressSpace* dying);
  static void set_heir_finder(HeirFinder f);

  ResourceLedger& ledger() { return *ledger_; }
  // Bookkeeping introspection for tests.
  size_t heap_ranges() const { return heap_.size(); }
  size_t object_mappings() const { return objects_.size(); }

 private:
  struct ObjectMapping {
    uint64_t base = 0;
    uint64_t pages = 0;
    Ref<KObject> object;
  };
  Result<uint64_t> heap_check(uint64_t addr, uint64_t size) const;
  Result<uint64_t> place(uint64_t hint, uint64_t size, uint64_t* pages);
  bool all_kind(uint64_t addr, uint64_t end, HeapKind kind, bool committed_only, uint64_t* committed) const;
  Status map_frames(uint64_t va, uint64_t pages, uint64_t flags, Span<const uint64_t> frames);
  // `prune` frees tables left empty (skipped at teardown, which frees them all).
  void unmap_keep(uint64_t va, uint64_t pages, bool prune = true);
  // Flushes [va, end) from every TLB that may hold it (arch/x86_64/tlb.h).
  void flush(uint64_t va, uint64_t end) const;
  void destroy_heap() CAPOS_REQUIRES(g_kernel_lock);

  // Page tables of a user space: kernel frames charged to the ledger's
  // PageTables quota (docs/memory.md).
  class ChargedPtEnv final : public PtEnv {
   public:
    ResourceLedger* ledger = nullptr;
    Result<uint64_t> alloc_table() override;
    void free_table(uint64_t phys) override;
    uint64_t* table(uint64_t phys) override;
  };

  static bool user_range_ok(uint64_t va, uint64_t len) {
    uint64_t end;
    return !__builtin_add_overflow(va, len, &end) && end <= abi::USER_TOP;
  }
  const Vma* find_vma(uint64_t va) const;
  Status fault_in_page(uint64_t va) const;
  [[gnu::cold]] Err why_unusable_range(uint64_t va, uint64_t len) const;
  [[gnu::always_inline]] Status check_range(uint64_t va, uint64_t len, bool write) const {
    if (one_page(va, len)) {
      if (const WalkCache* w = cached(va)) {
        if (!(w->flags & pte::USER) || (write && !(w->flags & pte::WRITE))) return fail(Err::Fault);
        return {};
      }
    }
    return check_user_range(va, len, write);
  }
  Status copy_user(uint64_t va, uint64_t len, bool to_user, bool honour_perms, uint8_t* kbuf,
                   const uint8_t* ksrc) const;
  void unmap_pages(uint64_t va, uint64_t pages, bool prune = true);
  // What map_image writes into its frames; null for zeroed frames.
  struct ImageFill {
    uint64_t offset;
    Bytes file;
  };
  Status map_fresh(UserAddr va, uint64_t pages, UserProt prot, VmaKind kind, bool lazy, const ImageFill* fill);
  // Translation that materializes demand-zero pages first. A walk-cache
  // hit is answered inline; a miss walks (resolve_walk).
  Result<Translation> resolve(uint64_t va) const {
    CAPOS_MEASURE_SCOPE(Walk);
    if (const WalkCache* w = cached(va)) return Translation{w->phys | (va & (abi::PAGE_SIZE - 1)), w->flags, PageSize::Size4K};
    return resolve_walk(va);
  }
  [[gnu::noinline]] Result<Translation> resolve_walk(uint64_t va) const;
  Status check_user_range(uint64_t va, uint64_t len, bool write) const;
  [[gnu::noinline]] Result<Translation> resolve_miss(uint64_t va) const;
  // A present, non-device 4 KiB user leaf read straight from the tables;
  // NotFound sends the caller to the generic walker.
  Result<Translation> translate_fast(uint64_t va) const;
  struct WalkCache {
    uint64_t page = 0;
    uint64_t generation = 0;
    uint64_t phys = 0;  // of the page
    uint64_t flags = 0;
    bool valid = false;
  };
  mutable WalkCache walk_cache_[2];
  // [va, va+len) is non-empty, user and within one page.
  static bool one_page(uint64_t va, uint64_t len) {
    return len && (va & ~(abi::PAGE_SIZE - 1)) == ((va + len - 1) & ~(abi::PAGE_SIZE - 1)) && user_range_ok(va, len);
  }
  // The cached leaf of the page holding `va`, exact while the page table's
  // generation is unchanged (any unmap/protect/prune moves it).
  const WalkCache* cached(uint64_t va) const {
    uint64_t page = va & ~(abi::PAGE_SIZE - 1);
    uint64_t gen = table_.generation();
    for (const WalkCache& w : walk_cache_)
      if (w.page == page && w.generation == gen && w.valid) return &w;
    return nullptr;
  }
  struct RangeCheck {  // the last multi-page check_user that passed
    uint64_t va = 0;
    uint64_t len = 0;
    uint64_t generation = 0;
    bool write = false;
    bool valid = false;
  };
  mutable RangeCheck range_check_;
  mutable uint32_t walk_cache_next_ = 0;
  ChargedPtEnv pt_env_;
  mutable arch::CpuMask resident_;
  // Mutable: demand-zero pages materialize even on const (copy) paths.
  mutable PageTable table_;
  ResourceLedger* ledger_ = nullptr;
  FixedVector<Vma, MAX_VMAS> vmas_;
  mm::Range heap_storage_[MAX_HEAP_RANGES];
  mm::RangeSet heap_{Span<mm::Range>(heap_storage_, MAX_HEAP_RANGES)};
  FixedVector<ObjectMapping, MAX_OBJECT_MAPPINGS> objects_;
  IntrusiveList<FrameCharge, &FrameCharge::node> charges_ CAPOS_GUARDED_BY(g_kernel_lock);
};

}  // namespace capos
