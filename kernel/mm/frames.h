// The kernel's global physical frame allocator (locked wrapper around
// FrameAllocator) plus the physical-to-virtual window.
#pragma once

#include "kernel/boot/bootinfo.h"
#include "kernel/mm/frame_allocator.h"

namespace capos::frames {

// Builds the allocator from the boot memory map, reserving frame 0, the
// kernel image, boot modules and the loader's info structure.
Status init(const BootInfo& bi);
Result<uint64_t> alloc();         // one zeroed frame
// One frame with whatever its last owner left in it. Only for a caller
// that overwrites every byte before the frame is reachable by anyone but
// itself (AddressSpace::map_image; the argument is in docs/memory.md).
Result<uint64_t> alloc_uncleared();
Result<uint64_t> alloc_contiguous(uint64_t count, uint64_t align_frames = 1);  // zeroed
void free(uint64_t phys);         // panics on double free / foreign frame
void free_contiguous(uint64_t phys, uint64_t count);
uint64_t free_count();
uint64_t managed_count();

namespace detail {
extern uint64_t g_window, g_window_limit;
[[noreturn]] void window_violation(uint64_t phys);
}  // namespace detail

// Physical -> kernel virtual. Before the final page tables are live this
// goes through the boot window (physical < 1 GiB only). Inline: every
// page-table walk and user copy goes through it.
inline void* phys_to_virt(uint64_t phys) {
  if (phys >= detail::g_window_limit) detail::window_violation(phys);
  return reinterpret_cast<void*>(phys + detail::g_window);
}
void switch_to_direct_map();

}  // namespace capos::frames
