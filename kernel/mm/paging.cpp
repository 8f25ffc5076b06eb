#include "kernel/mm/paging.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/tlb.h"
#include "kernel/arch/x86_64/layout.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/frames.h"
#include "kernel/arch/x86_64/irq_spinlock.h"
#include "lib/core/utility.h"

extern "C" char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern "C" char __data_start[], __data_end[], __ksyms_start[], __ksyms_end[];

namespace capos::paging {

namespace {

class KernelEnv final : public PtEnv {
 public:
  Result<uint64_t> alloc_table() override { return frames::alloc(); }
  void free_table(uint64_t phys) override { frames::free(phys); }
  uint64_t* table(uint64_t phys) override { return static_cast<uint64_t*>(frames::phys_to_virt(phys)); }
};

KernelEnv g_env;
arch::IrqSpinLock g_lock;  // kernel-half page-table edits, stack slots, the MMIO cursor
PageTable g_table CAPOS_GUARDED_BY(g_lock){g_env, 0};
CpuFeatures g_features;

// Kernel stacks: fixed 64 KiB virtual slots; a slot's first page is the guard.
constexpr uint64_t KSTACK_SLOT = 64 * 1024;
constexpr uint64_t KSTACK_SLOTS = 4096;
uint64_t g_kstack_used[KSTACK_SLOTS / 64] CAPOS_GUARDED_BY(g_lock);
uint64_t g_mmio_cursor CAPOS_GUARDED_BY(g_lock) = MMIO_REGION_BASE;

void map_section(char* start, char* end, uint64_t flags) CAPOS_REQUIRES(g_lock) {
  for (uint64_t va = reinterpret_cast<uint64_t>(start); va < reinterpret_cast<uint64_t>(end); va += PAGE_SIZE) {
    auto st = g_table.map(va, va - KERNEL_VMA, flags | pte::GLOBAL);
    if (!st) panic("paging: cannot map kernel page {:#x}: {}", va, err_name(st.error()));
  }
}

// The stack's slot becomes free for alloc_kernel_stack.
void release_slot(const KernelStack& s) CAPOS_REQUIRES(g_lock) {
  uint64_t slot = (s.top - KSTACK_REGION_BASE) / KSTACK_SLOT - 1;
  g_kstack_used[slot / 64] &= ~(1ull << (slot % 64));
}

// Unmaps, flushes here and frees the stack's pages, then frees its slot.
void release_stack(const KernelStack& s) CAPOS_REQUIRES(g_lock) {
  for (uint64_t va = s.bottom; va < s.top; va += PAGE_SIZE) {
    auto pa = g_table.unmap(va);
    if (pa) {
      arch::invlpg(va);
      frames::free(*pa);
    }
  }
  release_slot(s);
}

void detect_features() {
  auto l7 = arch::cpuid(7, 0);
  auto ext = arch::cpuid(0x80000001);
  g_features.smep = l7.ebx & (1u << 7);
  g_features.smap = l7.ebx & (1u << 20);
  g_features.umip = l7.ecx & (1u << 2);
  g_features.nx = ext.edx & (1u << 20);
  g_features.global = arch::cpuid(1).edx & (1u << 13);
}

}  // namespace

// Callers only read the root address and the upper-half root entries,
// which are fixed once every kernel region has its first mapping (before
// the first process exists).
PageTable& kernel_table() CAPOS_NO_THREAD_SAFETY_ANALYSIS { return g_table; }
PtEnv& kernel_env() { return g_env; }
const CpuFeatures& cpu_features() { return g_features; }

Status init(const BootInfo& bi) {
  detect_features();
  if (!g_features.nx) panic("paging: CPU lacks NX; capOS requires it for W^X");
  arch::IrqSpinLockGuard g(g_lock);  // boot is single-threaded; the rule has no exception
  g_table = CAPOS_TRY(PageTable::create(g_env));

  // Direct map every memory-map range with 2 MiB pages, read/write, NX.
  for (size_t i = 0; i < bi.region_count; ++i) {
    const MemRegion& r = bi.regions[i];
    uint64_t end;
    if (add_overflow(r.base, r.length, &end) || end > (1ull << 46)) continue;
    for (uint64_t pa = align_down(r.base, LARGE_PAGE_SIZE); pa < end; pa += LARGE_PAGE_SIZE) {
      auto st = g_table.map(DIRECT_MAP_BASE + pa, pa, pte::WRITE | pte::NX | pte::GLOBAL, PageSize::Size2M);
      if (!st && st.error() != Err::AlreadyExists) return st;
    }
  }
  // Boot modules may sit outside any listed region; cover them too.
  for (size_t i = 0; i < bi.module_count && i < BootInfo::MAX_MODULES; ++i) {
    const BootModule& m = bi.modules[i];
    for (uint64_t pa = align_down(m.phys, LARGE_PAGE_SIZE); pa < m.phys + m.size; pa += LARGE_PAGE_SIZE) {
      auto st = g_table.map(DIRECT_MAP_BASE + pa, pa, pte::WRITE | pte::NX | pte::GLOBAL, PageSize::Size2M);
      if (!st && st.error() != Err::AlreadyExists) return st;
    }
  }

  // The image, section by section: W^X with NX on everything but text.
  map_section(__text_start, __text_end, 0);
  map_section(__rodata_start, __rodata_end, pte::NX);
  map_section(__data_start, __data_end, pte::WRITE | pte::NX);
  map_section(__ksyms_start, __ksyms_end, pte::NX);

  uint64_t cr4 = arch::read_cr4();
  if (g_features.global) cr4 |= 1ull << 7;
  arch::write_cr4(cr4);
  arch::write_cr3(g_table.root());
  frames::switch_to_direct_map();
  if (g_features.smep) cr4 |= 1ull << 20;
  if (g_features.smap) cr4 |= 1ull << 21;
  if (g_features.umip) cr4 |= 1ull << 11;
  arch::write_cr4(cr4);
  arch::write_cr0(arch::read_cr0() | (1ull << 16));  // WP: honour R/O in ring 0
  return {};
}

Result<KernelStack> alloc_kernel_stack(uint64_t pages) {
  if (arch::smp()) arch::tlb::kernel_flush_pending();  // the slot may be a freed stack still cached here (GS is not set up yet on early boot: one CPU then)
  if (pages == 0 || pages * PAGE_SIZE >= KSTACK_SLOT) return fail(Err::InvalidArgument);
  arch::IrqSpinLockGuard g(g_lock);  // lock order: paging, then frames
  uint64_t slot = KSTACK_SLOTS;
  for (uint64_t i = 0; i < KSTACK_SLOTS; ++i) {
    if (!(g_kstack_used[i / 64] & (1ull << (i % 64)))) {
      g_kstack_used[i / 64] |= 1ull << (i % 64);
      slot = i;
      break;
    }
  }
  if (slot == KSTACK_SLOTS) return fail(Err::OutOfMemory);
  uint64_t top = KSTACK_REGION_BASE + (slot + 1) * KSTACK_SLOT;
  uint64_t bottom = top - pages * PAGE_SIZE;
  for (uint64_t va = bottom; va < top; va += PAGE_SIZE) {
    auto pa = frames::alloc();
    Status st = pa ? g_table.map(va, *pa, pte::WRITE | pte::NX | pte::GLOBAL) : Status(fail(pa.error()));
    if (!st) {
      if (pa) frames::free(*pa);
      release_stack(KernelStack{va, top});  // roll back what was mapped, and the slot
      return fail(st.error());
    }
  }
  return KernelStack{bottom, top};
}

void free_kernel_stack(const KernelStack& s) {
  if (!arch::smp()) {  // one CPU: release_stack's own invlpg is the whole flush
    arch::IrqSpinLockGuard g(g_lock);
    release_stack(s);
    return;
  }
  // A thread's stack may be cached by every CPU it ran on: unmap it, flush
  // all CPUs (outside g_lock: a CPU spinning for it with interrupts off
  // could not answer), and only then let the frames and the slot go.
  uint64_t pas[KSTACK_SLOT / PAGE_SIZE];
  size_t n = 0;
  {
    arch::IrqSpinLockGuard g(g_lock);
    for (uint64_t va = s.bottom; va < s.top && n < KSTACK_SLOT / PAGE_SIZE; va += PAGE_SIZE)
      if (auto pa = g_table.unmap(va)) pas[n++] = *pa;
  }
  arch::tlb::flush_kernel(s.bottom, s.top);
  arch::IrqSpinLockGuard g(g_lock);
  for (size_t i = 0; i < n; ++i) frames::free(pas[i]);
  release_slot(s);
}

Result<uint64_t> map_mmio(uint64_t phys, uint64_t size) {
  uint64_t base = align_down(phys, PAGE_SIZE);
  uint64_t len = align_up(phys + size, PAGE_SIZE) - base;
  arch::IrqSpinLockGuard g(g_lock);
  uint64_t va = g_mmio_cursor;
  for (uint64_t off = 0; off < len; off += PAGE_SIZE)
    CAPOS_TRY_STATUS(g_table.map(va + off, base + off, pte::WRITE | pte::NX | pte::PCD | pte::PWT | pte::GLOBAL));
  g_mmio_cursor += len + PAGE_SIZE;  // keep an unmapped gap between windows
  return va + (phys - base);
}

// Used by the panic backtrace, which must not wait for a lock its own
// CPU may hold; it only reads entries.
bool kernel_readable(uint64_t va, uint64_t len) CAPOS_NO_THREAD_SAFETY_ANALYSIS {
  uint64_t end;
  if (add_overflow(va, len, &end)) return false;
  for (uint64_t p = align_down(va, PAGE_SIZE); p < end; p += PAGE_SIZE) {
    if (!g_table.root()) {  // still on the boot tables: only the boot window
      if (p < KERNEL_VMA || p >= KERNEL_VMA + (1ull << 30)) return false;
    } else if (!g_table.translate(p)) {
      return false;
    }
  }
  return true;
}

}  // namespace capos::paging
