// The VirtualMemory window of an AddressSpace: anonymous ranges
// (reserved or committed) and MemoryObject mappings, recorded in a
// RangeSet (lib/mm/range_set.h) and mirrored in the page tables. Every
// operation validates first, reserves ledger charges, then mutates; a
// failure midway undoes every page it touched. Docs: docs/memory.md.
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/mm/frames.h"
#include "kernel/proc/address_space.h"

#include "kernel/arch/x86_64/tlb.h"
#include "lib/abi/layout.h"

namespace capos {

namespace {

using mm::RangeAttrs;
using mm::RangeState;

constexpr uint64_t PAGE = abi::PAGE_SIZE;

uint64_t prot_flags(uint8_t prot) {
  uint64_t f = 0;
  if (prot) f |= pte::USER;  // no bits: present for the kernel only (user access faults)
  if (prot & mm::kProtWrite) f |= pte::WRITE;
  if (!(prot & mm::kProtExec)) f |= pte::NX;
  return f;
}

bool prot_ok(uint8_t prot) {
  return !(prot & ~mm::kProtMask) && !((prot & mm::kProtWrite) && (prot & mm::kProtExec));  // W^X
}

RangeAttrs anon(RangeState st, uint8_t prot) { return RangeAttrs{st, prot, uint8_t(HeapKind::Anonymous), 0}; }

// Frame exhaustion is a resource condition for the caller, not a bug.
Err resource_err(Err e) { return e == Err::OutOfMemory || e == Err::NotFound ? Err::Overloaded : e; }

}  // namespace

// Pages of [addr, addr+size) if it is a valid, page-aligned, non-empty range
// inside the window.
Result<uint64_t> AddressSpace::heap_check(uint64_t addr, uint64_t size) const {
  uint64_t end;
  if (size == 0 || !is_aligned(addr, PAGE) || !is_aligned(size, PAGE) || add_overflow(addr, size, &end) ||
      addr < abi::USER_HEAP_BASE || end > abi::USER_HEAP_END)
    return fail(Err::InvalidArgument);
  return size / PAGE;
}

// A free base for `size` bytes. A non-zero hint must itself be a valid
// window range (kernel half, ring, CapSet, stack and image are outside the
// window, so they are refused here); an occupied hint falls back to first fit.
Result<uint64_t> AddressSpace::place(uint64_t hint, uint64_t size, uint64_t* pages) {
  if (size == 0 || !is_aligned(size, PAGE) || size > abi::USER_HEAP_END - abi::USER_HEAP_BASE)
    return fail(Err::InvalidArgument);
  *pages = size / PAGE;
  if (hint) CAPOS_TRY(heap_check(hint, size));
  auto base = heap_.find_gap(*pages, abi::USER_HEAP_BASE, abi::USER_HEAP_END, hint);
  if (!base) return fail(base.error() == Err::NotFound ? Err::Overloaded : base.error());
  return *base;
}

// True if every page of [addr, end) is present and of `kind` (committed,
// too, if asked); counts the committed pages.
bool AddressSpace::all_kind(uint64_t addr, uint64_t end, HeapKind kind, bool committed_only,
                            uint64_t* committed) const {
  uint64_t cursor = addr, n = 0;
  for (const mm::Range& r : heap_.intersecting(addr, end)) {
    if (r.base > cursor || r.attrs.kind != uint8_t(kind)) return false;
    if (committed_only && r.attrs.state != RangeState::Committed) return false;
    uint64_t lo = max(r.base, addr), hi = min(r.end(), end);
    if (r.attrs.state == RangeState::Committed) n += (hi - lo) / PAGE;
    cursor = hi;
  }
  if (committed) *committed = n;
  return cursor == end;
}

void AddressSpace::flush(uint64_t va, uint64_t end) const {
  // This CPU if the tables are loaded here, and every other CPU that has
  // them loaded (the residency mask), before the caller goes on.
  arch::tlb::flush_user(table_.root(), resident_, va, end);
}

// Maps `pages` pages at va: the given frames, or fresh zeroed ones (owned)
// when `frames` is empty. On failure every page mapped here is undone.
Status AddressSpace::map_frames(uint64_t va, uint64_t pages, uint64_t flags, Span<const uint64_t> frames) {
  for (uint64_t i = 0; i < pages; ++i) {
    Result<uint64_t> pa = frames.empty() ? frames::alloc() : Result<uint64_t>(frames[i]);
    Status st = pa ? table_.map(va + i * PAGE, *pa, flags) : Status(fail(resource_err(pa.error())));
    if (!st) {
      if (pa && frames.empty()) frames::free(*pa);
      if (frames.empty()) unmap_pages(va, i, /*prune=*/false);
      else unmap_keep(va, i, /*prune=*/false);
      table_.prune(va, pages * PAGE);  // also the tables a failed walk created
      return fail(resource_err(st.error()));
    }
  }
  return {};
}

// Unmaps without freeing (the frames belong to a MemoryObject).
void AddressSpace::unmap_keep(uint64_t va, uint64_t pages, bool prune) {
  bool any = false;
  for (uint64_t i = 0; i < pages; ++i) any |= table_.unmap(va + i * PAGE).ok();
  if (prune) table_.prune(va, pages * PAGE);
  if (any) flush(va, va + pages * PAGE);  // after the prune: freed tables leave the caches too
}

Result<UserAddr> AddressSpace::vm_map(UserAddr hint, uint64_t size, uint8_t prot) {
  if (!prot_ok(prot)) return fail(Err::InvalidArgument);
  uint64_t pages = 0;
  uint64_t base = CAPOS_TRY(place(hint.raw(), size, &pages));
  Reservation virt = CAPOS_TRY(ledger_->reserve(Res::VirtualPages, pages));
  Reservation phys = CAPOS_TRY(ledger_->reserve(Res::FramePages, pages));
  CAPOS_TRY_STATUS(heap_.insert(base, pages, anon(RangeState::Committed, prot)));
  if (Status st = map_frames(base, pages, prot_flags(prot), {}); !st) {
    (void)heap_.remove(base, pages);  // the exact range just inserted: needs no entry
    return fail(st.error());
  }
  virt.commit();
  phys.commit();
  return UserAddr(base);
}

Result<UserAddr> AddressSpace::vm_reserve(UserAddr hint, uint64_t size) {
  uint64_t pages = 0;
  uint64_t base = CAPOS_TRY(place(hint.raw(), size, &pages));
  Reservation virt = CAPOS_TRY(ledger_->reserve(Res::VirtualPages, pages));
  CAPOS_TRY_STATUS(heap_.insert(base, pages, anon(RangeState::Reserved, 0)));
  virt.commit();
  return UserAddr(base);
}

Status AddressSpace::vm_unmap(UserAddr at, uint64_t size) {
  uint64_t addr = at.raw();
  uint64_t pages = CAPOS_TRY(heap_check(addr, size)), committed = 0;
  if (!all_kind(addr, addr + size, HeapKind::Anonymous, false, &committed)) return fail(Err::InvalidArgument);
  CAPOS_TRY(heap_.remove(addr, pages));  // may need an entry (a hole): before any page changes
  unmap_pages(addr, pages);              // frees committed frames; reserved pages have no PTE
  ledger_->release(Res::FramePages, committed);
  ledger_->release(Res::VirtualPages, pages);
  return {};
}

Status AddressSpace::vm_protect(UserAddr at, uint64_t size, uint8_t prot) {
  uint64_t addr = at.raw();
  if (!prot_ok(prot)) return fail(Err::InvalidArgument);
  uint64_t pages = CAPOS_TRY(heap_check(addr, size));
  if (!all_kind(addr, addr + size, HeapKind::Anonymous, true, nullptr)) return fail(Err::InvalidArgument);
  CAPOS_TRY_STATUS(heap_.set_attrs(addr, pages, anon(RangeState::Committed, prot), mm::kAttrProt));
  uint64_t flags = prot_flags(prot);
  for (uint64_t i = 0; i < pages; ++i) {
    if (!table_.protect(addr + i * PAGE, flags)) __builtin_trap();  // committed pages are mapped
  }
  flush(addr, addr + pages * PAGE);
  return {};
}

Status AddressSpace::vm_commit(UserAddr at, uint64_t size, uint8_t prot) {
  uint64_t addr = at.raw();
  if (!prot_ok(prot)) return fail(Err::InvalidArgument);
  uint64_t pages = CAPOS_TRY(heap_check(addr, size)), committed = 0, end = addr + size;
  if (!all_kind(addr, end, HeapKind::Anonymous, false, &committed)) return fail(Err::InvalidArgument);
  uint64_t fresh = pages - committed;
  if (fresh == 0) return {};
  // Each reserved piece may split its range at both edges: room for all
  // of them up front, so the attribute updates below cannot fail.
  size_t pieces = 0;
  for (const mm::Range& r : heap_.intersecting(addr, end)) pieces += r.attrs.state == RangeState::Reserved;
  if (heap_.capacity() - heap_.size() < 2 * pieces) return fail(Err::Overloaded);
  Reservation phys = CAPOS_TRY(ledger_->reserve(Res::FramePages, fresh));
  uint64_t flags = prot_flags(prot);
  for (uint64_t p = addr; p < end; p += PAGE) {
    if (table_.translate(p)) continue;  // committed already: left as it is
    if (Status st = map_frames(p, 1, flags, {}); !st) {
      // Undo only the pages this call added: they are the unmapped-before
      // pages of reserved ranges, i.e. every page below p still Reserved.
      for (uint64_t q = addr; q < p; q += PAGE) {
        auto r = heap_.find(q);
        if (r && r->attrs.state == RangeState::Reserved) unmap_pages(q, 1);
      }
      return st;
    }
  }
  for (uint64_t p = addr; p < end;) {
    mm::Range r = *heap_.find(p);
    uint64_t hi = min(r.end(), end);
    if (r.attrs.state == RangeState::Reserved &&
        !heap_.set_attrs(p, (hi - p) / PAGE, anon(RangeState::Committed, prot), mm::kAttrState | mm::kAttrProt))
      __builtin_trap();  // room was checked above
    p = hi;
  }
  phys.commit();
  return {};
}

Status AddressSpace::vm_decommit(UserAddr at, uint64_t size) {
  uint64_t addr = at.raw();
  uint64_t pages = CAPOS_TRY(heap_check(addr, size)), committed = 0;
  if (!all_kind(addr, addr + size, HeapKind::Anonymous, false, &committed)) return fail(Err::InvalidArgument);
  CAPOS_TRY_STATUS(heap_.set_attrs(addr, pages, anon(RangeState::Reserved, 0), mm::kAttrState | mm::kAttrProt));
  unmap_pages(addr, pages);  // frees the committed frames; the range stays reserved
  ledger_->release(Res::FramePages, committed);
  return {};
}

Result<UserAddr> AddressSpace::map_object(Ref<KObject> object, Span<const uint64_t> frames, UserAddr hint,
                                          uint8_t prot, bool device) {
  if (!prot_ok(prot) || frames.empty()) return fail(Err::InvalidArgument);
  if (objects_.full()) return fail(Err::Overloaded);
  uint64_t pages = 0;
  uint64_t base = CAPOS_TRY(place(hint.raw(), frames.size() * PAGE, &pages));
  // owner = base keeps two adjacent mappings from merging into one range.
  CAPOS_TRY_STATUS(heap_.insert(base, pages, RangeAttrs{RangeState::Committed, prot, uint8_t(HeapKind::Object), base}));
  uint64_t flags = prot_flags(prot) | (device ? pte::DEVICE | pte::PCD | pte::PWT : 0);
  if (Status st = map_frames(base, pages, flags, frames); !st) {
    (void)heap_.remove(base, pages);
    return fail(st.error());
  }
  if (!objects_.push_back(ObjectMapping{base, pages, move(object)})) __builtin_trap();  // checked above
  return UserAddr(base);
}

Status AddressSpace::unmap_object(const KObject* object, UserAddr at) {
  uint64_t addr = at.raw();
  for (size_t i = 0; i < objects_.size(); ++i) {
    ObjectMapping& m = objects_[i];
    if (m.base != addr || m.object.get() != object) continue;
    (void)heap_.remove(m.base, m.pages);  // a whole range: never needs an entry
    unmap_keep(m.base, m.pages);
    objects_.swap_remove(i);  // drops the mapping's reference last
    return {};
  }
  return fail(Err::InvalidArgument);
}

namespace {
AddressSpace::HeirFinder g_heir_finder = nullptr;
}

void AddressSpace::set_heir_finder(HeirFinder f) { g_heir_finder = f; }

bool AddressSpace::maps(const KObject* object) const {
  for (const ObjectMapping& m : objects_)
    if (m.object.get() == object) return true;
  return false;
}

void AddressSpace::attach_charge(FrameCharge& c, const KObject* object, uint64_t pages) {
  c.payer = this;
  c.pages = pages;
  c.object = object;
  charges_.push_back(&c);
}

void AddressSpace::release_charge(FrameCharge& c) {
  if (!c.payer) return;
  c.payer->ledger_->release(Res::FramePages, c.pages);
  c.payer->charges_.remove(&c);
  c.payer = nullptr;
}

// Teardown of the window: object mappings first (dropping their
// references may free objects this space pays for), then anonymous
// ranges, then the charges of objects that live on elsewhere.
void AddressSpace::destroy_heap() {
  while (!objects_.empty()) {
    ObjectMapping& m = objects_.back();
    unmap_keep(m.base, m.pages, /*prune=*/false);
    objects_.pop_back();
  }
  for (const mm::Range& r : heap_.ranges()) {
    if (r.attrs.kind != uint8_t(HeapKind::Anonymous)) continue;
    unmap_pages(r.base, r.pages, /*prune=*/false);
    if (r.attrs.state == RangeState::Committed) ledger_->release(Res::FramePages, r.pages);
    ledger_->release(Res::VirtualPages, r.pages);
  }
  heap_.clear();
  // Objects still alive here are held or mapped by someone else: that
  // holder inherits the charge, so shared frames never go unpaid.
  while (FrameCharge* c = charges_.front()) {
    AddressSpace* heir = g_heir_finder ? g_heir_finder(c->object, this) : nullptr;
    uint64_t pages = c->pages;
    release_charge(*c);
    if (heir) {
      heir->ledger_->inherit(Res::FramePages, pages);
      heir->attach_charge(*c, c->object, pages);
    }
  }
}

}  // namespace capos
