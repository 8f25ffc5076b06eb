#include "kernel/proc/address_space.h"

#include "lib/elf/image_page.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/measure.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/paging.h"
#include "lib/abi/layout.h"
#include "lib/core/cstring.h"

namespace capos {

namespace {

uint64_t pte_flags(UserProt p) {
  uint64_t f = pte::USER;
  if (p.write) f |= pte::WRITE;
  if (!p.exec) f |= pte::NX;
  return f;
}

}  // namespace

Result<uint64_t> AddressSpace::ChargedPtEnv::alloc_table() {
  Reservation charge = CAPOS_TRY(ledger->reserve(Res::PageTables, 1));
  uint64_t phys = CAPOS_TRY(paging::kernel_env().alloc_table());
  charge.commit();
  return phys;
}

void AddressSpace::ChargedPtEnv::free_table(uint64_t phys) {
  paging::kernel_env().free_table(phys);
  ledger->release(Res::PageTables, 1);
}

uint64_t* AddressSpace::ChargedPtEnv::table(uint64_t phys) { return static_cast<uint64_t*>(frames::phys_to_virt(phys)); }

Status AddressSpace::init(ResourceLedger* ledger) {
  ledger_ = ledger;
  pt_env_.ledger = ledger;
  for (WalkCache& w : walk_cache_) w.valid = false;
  range_check_.valid = false;
  table_ = CAPOS_TRY(PageTable::create(pt_env_));
  table_.share_upper_half(paging::kernel_table());
  return {};
}

const Vma* AddressSpace::find_vma(uint64_t va) const {
  for (const Vma& v : vmas_)
    if (va >= v.start && va - v.start < v.pages * abi::PAGE_SIZE) return &v;
  return nullptr;
}

uint64_t AddressSpace::mapped_pages() const {
  uint64_t n = 0;
  for (const Vma& v : vmas_) n += v.pages;
  return n;
}

Status AddressSpace::map_anonymous(UserAddr at, uint64_t pages, UserProt prot, VmaKind kind, bool lazy) {
  return map_fresh(at, pages, prot, kind, lazy, nullptr);
}

Status AddressSpace::map_image(UserAddr at, uint64_t pages, UserProt prot, uint64_t offset, Bytes file) {
  uint64_t bytes, end;
  if (mul_overflow(pages, abi::PAGE_SIZE, &bytes) || add_overflow(offset, uint64_t(file.size()), &end) || end > bytes)
    return fail(Err::InvalidArgument);
  ImageFill fill{offset, file};
  return map_fresh(at, pages, prot, VmaKind::Image, /*lazy=*/false, &fill);
}

Status AddressSpace::map_fresh(UserAddr at, uint64_t pages, UserProt prot, VmaKind kind, bool lazy,
                               const ImageFill* fill) {
  uint64_t va = at.raw();
  uint64_t bytes;
  if (pages == 0 || mul_overflow(pages, abi::PAGE_SIZE, &bytes) || !is_aligned(va, abi::PAGE_SIZE) ||
      va < abi::PAGE_SIZE || !user_range_ok(va, bytes))
    return fail(Err::InvalidArgument);
  if (prot.write && prot.exec) return fail(Err::InvalidArgument);  // W^X
  for (const Vma& v : vmas_)
    if (va < v.start + v.pages * abi::PAGE_SIZE && v.start < va + bytes) return fail(Err::AlreadyExists);
  if (vmas_.full()) return fail(Err::Overloaded);
  Reservation charge = CAPOS_TRY(ledger_->reserve(Res::FramePages, pages));
  uint64_t flags = pte_flags(prot);
  for (uint64_t i = 0; !lazy && i < pages; ++i) {
    auto pa = fill ? frames::alloc_uncleared() : frames::alloc();
    if (pa && fill) elf::fill_image_page(static_cast<uint8_t*>(frames::phys_to_virt(*pa)), i, fill->offset, fill->file);
    Status st = pa ? table_.map(va + i * abi::PAGE_SIZE, *pa, flags) : Status(fail(pa.error()));
    if (!st) {
      if (pa) frames::free(*pa);
      unmap_pages(va, i, /*prune=*/false);  // roll back what was mapped; `charge` rolls back itself
      table_.prune(va, bytes);             // and the tables a failed walk created
      return st;
    }
  }
  charge.commit();
  if (!vmas_.push_back(Vma{va, pages, flags, kind, lazy})) __builtin_trap();  // checked above
  return {};
}

Status AddressSpace::fault_in(UserAddr va) const { return fault_in_page(va.raw()); }

Status AddressSpace::fault_in_page(uint64_t va) const {
  const Vma* v = find_vma(va);
  if (!v || !v->lazy || !user_range_ok(va, 1)) return fail(Err::Fault);
  uint64_t page = align_down(va, abi::PAGE_SIZE);
  if (table_.translate(page)) return fail(Err::Fault);  // present: a protection fault, not a miss
  auto pa = frames::alloc();  // zeroed
  if (!pa) return fail(Err::OutOfMemory);
  if (!table_.map(page, *pa, v->flags)) {  // no frame or no page-table quota for a new table
    frames::free(*pa);
    table_.prune(page, abi::PAGE_SIZE);
    return fail(Err::OutOfMemory);
  }
  return {};
}

// The walk behind every user copy and check: a present 4 KiB user leaf
// that is memory (not a device's registers), read straight through the
// direct map (user halves hold only 4 KiB pages). Anything else takes the
// generic walker below, which also materializes demand-zero pages and
// refuses device mappings; only this function's results are cached.
Result<Translation> AddressSpace::translate_fast(uint64_t va) const {
  if (va >= abi::USER_TOP) return fail(Err::NotFound);
  uint64_t phys = table_.root();
  for (int shift = 39; shift >= 12; shift -= 9) {
    uint64_t e = static_cast<const uint64_t*>(frames::phys_to_virt(phys))[(va >> shift) & 0x1FF];
    if (!(e & pte::PRESENT) || (shift > 12 && (e & pte::HUGE))) return fail(Err::NotFound);
    phys = e & pte::ADDR_MASK;
    if (shift == 12) {
      if (e & pte::DEVICE) return fail(Err::NotFound);  // device registers: the generic path refuses them
      return Translation{phys | (va & 0xFFF), e & (pte::LEAF_FLAGS | pte::PRESENT), PageSize::Size4K};
    }
  }
  return fail(Err::NotFound);
}

// A miss: a demand-zero page appears now, or the reason it cannot (a real
// fault, or memory exhausted) is the answer. Out of line: the copy paths
// that call resolve() stay small.
Result<Translation> AddressSpace::resolve_miss(uint64_t va) const {
  CAPOS_TRY_STATUS(fault_in_page(va));
  return table_.translate(va);
}

Err AddressSpace::why_unusable_range(uint64_t va, uint64_t len) const {
  if (!user_range_ok(va, len)) return Err::Fault;
  for (uint64_t p = align_down(va, abi::PAGE_SIZE); p < va + len; p += abi::PAGE_SIZE) {
    if (table_.translate(p)) continue;
    const Vma* v = find_vma(p);
    // The copy would have materialized a demand-zero page; one still
    // missing means no frame (or page table) could be had.
    return v && v->lazy ? Err::OutOfMemory : Err::Fault;
  }
  return Err::Fault;  // mapped, but not with the access asked for
}

// A user copy usually touches the page the previous one did (a stack
// buffer, a receive buffer): resolve() answers from two cached leaves;
// this is its miss path.
Result<Translation> AddressSpace::resolve_walk(uint64_t va) const {
  uint64_t page = va & ~(abi::PAGE_SIZE - 1);
  uint64_t gen = table_.generation();
  if (auto fast = translate_fast(va)) {
    WalkCache& w = walk_cache_[walk_cache_next_];
    walk_cache_next_ ^= 1;
    w = WalkCache{page, gen, fast->phys & ~(abi::PAGE_SIZE - 1), fast->flags, true};
    return fast;
  }
  auto t = table_.translate(va);
  if (!t) t = resolve_miss(va);
  // Device registers (DeviceMmio mappings) are not memory: the kernel
  // never reads or writes them on a process's behalf (a user buffer
  // pointing there is a fault, not a device access through the direct map).
  if (t && (t->flags & pte::DEVICE)) return fail(Err::Fault);
  return t;
}

void AddressSpace::unmap_pages(uint64_t va, uint64_t pages, bool prune) {
  bool any = false;
  table_.unmap_range(va, va + pages * abi::PAGE_SIZE, [](void* any, uint64_t, uint64_t pa) {
    *static_cast<bool*>(any) = true;
    frames::free(pa);  // reused only under the kernel lock, after the flush below (tlb.h)
  }, &any);
  if (prune) table_.prune(va, pages * abi::PAGE_SIZE);
  if (any) flush(va, va + pages * abi::PAGE_SIZE);
}

Status AddressSpace::unmap_region(UserAddr at) {
  uint64_t va = at.raw();
  for (size_t i = 0; i < vmas_.size(); ++i) {
    if (vmas_[i].start != va) continue;
    unmap_pages(va, vmas_[i].pages);
    ledger_->release(Res::FramePages, vmas_[i].pages);
    vmas_.swap_remove(i);
    return {};
  }
  return fail(Err::NotFound);
}

Status AddressSpace::copy_user(uint64_t va, uint64_t len, bool to_user, bool honour_perms, uint8_t* kbuf,
                               const uint8_t* ksrc) const {
  // Small copies (a message, an SQE-sized record) usually stay in one page
  // whose leaf is cached: one check, one memcpy.
  if (one_page(va, len)) {
    if (const WalkCache* w = cached(va)) {
      if (honour_perms && (!(w->flags & pte::USER) || (to_user && !(w->flags & pte::WRITE)))) return fail(Err::Fault);
      auto* kva = static_cast<uint8_t*>(frames::phys_to_virt(w->phys | (va & (abi::PAGE_SIZE - 1))));
      if (to_user) memcpy(kva, ksrc, len);
      else memcpy(kbuf, kva, len);
      return {};
    }
  }
  if (!user_range_ok(va, len)) return fail(Err::Fault);
  uint64_t done = 0;
  while (done < len) {
    uint64_t cur = va + done;
    auto t = resolve(cur);
    if (!t) return fail(Err::Fault);
    if (honour_perms) {
      if (!(t->flags & pte::USER)) return fail(Err::Fault);
      if (to_user && !(t->flags & pte::WRITE)) return fail(Err::Fault);
    }
    uint64_t chunk = min(len - done, abi::PAGE_SIZE - (cur & (abi::PAGE_SIZE - 1)));
    auto* kva = static_cast<uint8_t*>(frames::phys_to_virt(t->phys));
    if (to_user) memcpy(kva, ksrc ? ksrc + done : nullptr, chunk);
    else memcpy(kbuf + done, kva, chunk);
    done += chunk;
  }
  return {};
}

Status AddressSpace::kernel_write(UserAddr va, Bytes data) {
  return copy_user(va.raw(), data.size(), true, false, nullptr, data.data());
}

Status AddressSpace::copy_from_user(void* dst, UserIn src) const {
  return copy_user(src.addr.raw(), src.len, false, true, static_cast<uint8_t*>(dst), nullptr);
}

Status AddressSpace::copy_to_user(UserOut dst, const void* src) const {
  return copy_user(dst.addr.raw(), dst.len, true, true, nullptr, static_cast<const uint8_t*>(src));
}

Status AddressSpace::copy_between(const AddressSpace& from, UserIn src_span, const AddressSpace& to,
                                  UserOut dst_span) {
  const AddressSpace& src = from;
  const AddressSpace& dst = to;
  uint64_t src_va = src_span.addr.raw(), dst_va = dst_span.addr.raw(), len = src_span.len;
  if (dst_span.len < len) return fail(Err::Fault);
  if (one_page(src_va, len) && one_page(dst_va, len)) {  // an IPC message and its reply, usually
    const WalkCache* ws = src.cached(src_va);
    const WalkCache* wd = ws ? dst.cached(dst_va) : nullptr;
    if (wd) {
      if (!(ws->flags & pte::USER) || !(wd->flags & pte::USER) || !(wd->flags & pte::WRITE)) return fail(Err::Fault);
      memcpy(frames::phys_to_virt(wd->phys | (dst_va & (abi::PAGE_SIZE - 1))),
             frames::phys_to_virt(ws->phys | (src_va & (abi::PAGE_SIZE - 1))), len);
      return {};
    }
  }
  if (!user_range_ok(src_va, len) || !user_range_ok(dst_va, len)) return fail(Err::Fault);
  uint64_t done = 0;
  while (done < len) {
    uint64_t s = src_va + done, d = dst_va + done;
    auto ts = src.resolve(s);
    auto td = dst.resolve(d);
    if (!ts || !td || !(ts->flags & pte::USER) || !(td->flags & pte::USER) || !(td->flags & pte::WRITE))
      return fail(Err::Fault);
    uint64_t chunk = min(len - done, min(abi::PAGE_SIZE - (s & (abi::PAGE_SIZE - 1)),
                                         abi::PAGE_SIZE - (d & (abi::PAGE_SIZE - 1))));
    memcpy(frames::phys_to_virt(td->phys), frames::phys_to_virt(ts->phys), chunk);
    done += chunk;
  }
  return {};
}

Status AddressSpace::check_user_range(uint64_t va, uint64_t len, bool write) const {
  if (!user_range_ok(va, len)) return fail(Err::Fault);
  // A multi-page buffer checked before at this page-table generation (a
  // server re-posting its RECV buffer) is still exactly as valid.
  uint64_t gen = table_.generation();
  bool multi = align_down(va, abi::PAGE_SIZE) + abi::PAGE_SIZE < va + len;
  const RangeCheck& rc = range_check_;
  if (multi && rc.valid && rc.generation == gen && rc.va == va && len <= rc.len && (rc.write || !write)) return {};
  for (uint64_t p = align_down(va, abi::PAGE_SIZE); p < va + len; p += abi::PAGE_SIZE) {
    // Only the first page goes through the walk cache: the rest of a
    // large buffer (a 16 KiB RECV) would only evict the hot entries.
    auto t = p == align_down(va, abi::PAGE_SIZE) ? resolve(p) : translate_fast(p);
    if (!t) t = resolve(p);
    if (!t) return fail(Err::Fault);
    if (!(t->flags & pte::USER) || (write && !(t->flags & pte::WRITE))) return fail(Err::Fault);
  }
  // Demand-zero pages materialized above do not move the generation.
  if (multi && table_.generation() == gen) range_check_ = RangeCheck{va, len, gen, write, true};
  return {};
}

Result<uint64_t> AddressSpace::frame_of(UserAddr va) const {
  auto t = CAPOS_TRY(resolve(va.raw()));
  return t.phys & ~(abi::PAGE_SIZE - 1);
}

void AddressSpace::destroy() {
  if (!table_.root()) return;
  destroy_heap();
  for (const Vma& v : vmas_) {
    unmap_pages(v.start, v.pages, /*prune=*/false);
    ledger_->release(Res::FramePages, v.pages);
  }
  vmas_.clear();
  table_.destroy();
  for (WalkCache& w : walk_cache_) w.valid = false;
  range_check_.valid = false;
}

}  // namespace capos
