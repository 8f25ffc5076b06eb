#include "kernel/mm/heap.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/frames.h"
#include "kernel/arch/x86_64/irq_spinlock.h"

namespace capos::heap {

namespace {

class FramePages final : public PageSource {
 public:
  void* alloc_pages(size_t count) override {
    auto pa = frames::alloc_contiguous(count);
    return pa ? frames::phys_to_virt(*pa) : nullptr;
  }
  void free_pages(void* p, size_t count) override {
    frames::free_contiguous(reinterpret_cast<uint64_t>(p) - DIRECT_MAP_OFFSET, count);
  }
  static constexpr uint64_t DIRECT_MAP_OFFSET = 0xFFFF800000000000;
};

arch::IrqSpinLock g_lock;
FramePages g_pages;
SlabHeap g_heap CAPOS_GUARDED_BY(g_lock){g_pages};

}  // namespace

void* alloc(size_t size) {
  arch::IrqSpinLockGuard g(g_lock);
  return g_heap.alloc(size);
}

void free(void* p) {
  bool ok;
  {
    arch::IrqSpinLockGuard g(g_lock);
    ok = g_heap.free(p);
  }
  if (!ok) panic("heap: free of invalid or already freed pointer {}", p);
}

SlabHeap::Stats stats() {
  arch::IrqSpinLockGuard g(g_lock);
  return g_heap.stats();
}

}  // namespace capos::heap

// Global allocation operators route to the kernel heap. Kernel code uses
// heap::make (nullptr-checked); these exist for compiler-generated calls
// (deleting destructors) and trap if plain `new` ever runs out.
void* operator new(size_t size) {
  void* p = capos::heap::alloc(size);
  if (!p) capos::panic("operator new: out of memory ({} bytes)", size);
  return p;
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { capos::heap::free(p); }
void operator delete(void* p, size_t) noexcept { capos::heap::free(p); }
void operator delete[](void* p) noexcept { capos::heap::free(p); }
void operator delete[](void* p, size_t) noexcept { capos::heap::free(p); }
