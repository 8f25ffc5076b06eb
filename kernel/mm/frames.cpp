#include "kernel/mm/frames.h"

#include "kernel/arch/x86_64/smp.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/layout.h"
#include "kernel/debug/panic.h"
#include "lib/core/cstring.h"
#include "kernel/arch/x86_64/irq_spinlock.h"

extern "C" char __kernel_phys_start[], __kernel_phys_end[];

namespace capos::frames {

namespace {

arch::IrqSpinLock g_lock;
FrameAllocator g_alloc CAPOS_GUARDED_BY(g_lock);

using Locked = arch::IrqSpinLockGuard;

}  // namespace

namespace detail {
uint64_t g_window = KERNEL_VMA;
uint64_t g_window_limit = 1ull << 30;

void window_violation(uint64_t phys) { panic("phys_to_virt: {:#x} outside the mapped window", phys); }
}  // namespace detail

void switch_to_direct_map() {
  Locked l(g_lock);
  uint64_t phys = reinterpret_cast<uint64_t>(g_alloc.storage()) - detail::g_window;
  detail::g_window = DIRECT_MAP_BASE;
  g_alloc.rebase_storage(reinterpret_cast<uint64_t*>(phys + DIRECT_MAP_BASE));
  detail::g_window_limit = ~DIRECT_MAP_BASE;  // the whole direct-map half
}

Status init(const BootInfo& bi) {
  Span<const MemRegion> regions(bi.regions, bi.region_count);
  PhysRange avoid[BootInfo::MAX_MODULES + 4];
  size_t n = 0;
  uint64_t kstart = reinterpret_cast<uint64_t>(__kernel_phys_start);
  uint64_t kend = reinterpret_cast<uint64_t>(__kernel_phys_end);
  avoid[n++] = PhysRange{0, PAGE_SIZE};
  // The AP startup trampoline and its page tables (kernel/arch/x86_64/smp.h).
  avoid[n++] = PhysRange{arch::AP_TRAMPOLINE, arch::AP_TRAMPOLINE_PAGES * PAGE_SIZE};
  avoid[n++] = PhysRange{kstart, kend - kstart};
  avoid[n++] = PhysRange{bi.info_phys, bi.info_size};
  for (size_t i = 0; i < bi.module_count && i < BootInfo::MAX_MODULES; ++i)
    avoid[n++] = PhysRange{bi.modules[i].phys, bi.modules[i].size};
  Span<const PhysRange> avoid_span(avoid, n);

  uint64_t bytes = FrameAllocator::storage_bytes(regions);
  Locked l(g_lock);  // single-threaded at boot; taken so the rule has no exception
  uint64_t home = CAPOS_TRY(FrameAllocator::place_storage(regions, avoid_span, bytes, detail::g_window_limit));
  CAPOS_TRY_STATUS(g_alloc.init(regions, static_cast<uint64_t*>(phys_to_virt(home)), bytes));
  for (const auto& a : avoid_span) g_alloc.reserve(a.base, a.length);
  g_alloc.reserve(home, bytes);
  return {};
}

Result<uint64_t> alloc() {
  uint64_t pa;
  {
    Locked l(g_lock);
    pa = CAPOS_TRY(g_alloc.alloc());
  }
  memset(phys_to_virt(pa), 0, PAGE_SIZE);
  return pa;
}

Result<uint64_t> alloc_uncleared() {
  Locked l(g_lock);
  return g_alloc.alloc();
}

Result<uint64_t> alloc_contiguous(uint64_t count, uint64_t align_frames) {
  uint64_t pa;
  {
    Locked l(g_lock);
    pa = CAPOS_TRY(g_alloc.alloc_contiguous(count, align_frames));
  }
  memset(phys_to_virt(pa), 0, count * PAGE_SIZE);
  return pa;
}

void free(uint64_t phys) {
  Locked l(g_lock);
  auto st = g_alloc.free(phys);
  if (!st) panic("frame free of {:#x} rejected: {}", phys, err_name(st.error()));
}

void free_contiguous(uint64_t phys, uint64_t count) {
  Locked l(g_lock);
  auto st = g_alloc.free_contiguous(phys, count);
  if (!st) panic("frame free of {:#x}+{} rejected: {}", phys, count, err_name(st.error()));
}

uint64_t free_count() {
  Locked l(g_lock);
  return g_alloc.free_frames();
}

uint64_t managed_count() {
  Locked l(g_lock);
  return g_alloc.managed_frames();
}

}  // namespace capos::frames
