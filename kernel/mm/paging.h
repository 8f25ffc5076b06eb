// The kernel's own address space: direct map, per-section permissions
// for the image, kernel stacks with guard pages, uncached MMIO windows.
#pragma once

#include "kernel/boot/bootinfo.h"
#include "kernel/mm/page_table.h"

namespace capos::paging {

// Builds the final kernel page tables and switches CR3 to them; enables
// global pages, SMEP/SMAP (when the CPU has them) and write protection.
Status init(const BootInfo& bi);
PageTable& kernel_table();
PtEnv& kernel_env();

struct KernelStack {
  uint64_t bottom;  // lowest mapped byte (guard page is just below)
  uint64_t top;     // initial stack pointer
};
// A fresh kernel stack of `pages` pages with an unmapped guard page below.
Result<KernelStack> alloc_kernel_stack(uint64_t pages);
void free_kernel_stack(const KernelStack& s);

// Maps `size` bytes of device memory at `phys` uncached; returns its va.
Result<uint64_t> map_mmio(uint64_t phys, uint64_t size);

// True if `va` is mapped in the kernel tables (for safe diagnostic reads).
bool kernel_readable(uint64_t va, uint64_t len);

struct CpuFeatures {
  bool smep, smap, nx, global, umip;
};
const CpuFeatures& cpu_features();

}  // namespace capos::paging
