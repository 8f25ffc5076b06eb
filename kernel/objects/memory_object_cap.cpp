#include "kernel/objects/memory_object_cap.h"

#include "kernel/objects/kernel_server.h"
#include "kernel/objects/vm_cap.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "lib/abi/layout.h"

namespace capos {

namespace wire = schema::wire;

namespace {
uint32_t g_live = 0;
}

uint32_t MemoryObjectCap::live_count() { return __atomic_load_n(&g_live, __ATOMIC_RELAXED); }

Result<Ref<MemoryObjectCap>> MemoryObjectCap::create(uint32_t pages) {
  if (pages == 0 || pages > MAX_PAGES) return fail(Err::InvalidArgument);
  auto* frames = static_cast<uint64_t*>(heap::alloc(pages * sizeof(uint64_t)));
  void* m = heap::alloc(sizeof(MemoryObjectCap));
  if (!frames || !m) {
    if (frames) heap::free(frames);
    if (m) heap::free(m);
    return fail(Err::OutOfMemory);
  }
  for (uint32_t i = 0; i < pages; ++i) {
    auto pa = frames::alloc();  // zeroed
    if (!pa) {
      while (i-- > 0) frames::free(frames[i]);
      heap::free(frames);
      heap::free(m);
      return fail(Err::OutOfMemory);
    }
    frames[i] = *pa;
  }
  __atomic_add_fetch(&g_live, 1, __ATOMIC_RELAXED);
  return Ref<MemoryObjectCap>::adopt(new (m) MemoryObjectCap(pages, frames));
}

void MemoryObjectCap::destroy() {
  // Last reference: no capability and no mapping names the frames now.
  // Reached through a reference count (the analysis cannot follow it);
  // every release happens in kernel code holding the lock.
  g_kernel_lock.assert_held();
  AddressSpace::release_charge(charge_);
  for (uint32_t i = 0; i < pages_; ++i) frames::free(frames_[i]);
  heap::free(frames_);
  __atomic_sub_fetch(&g_live, 1, __ATOMIC_RELAXED);
  this->~MemoryObjectCap();
  heap::free(this);
}

void MemoryObjectCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status MemoryObjectCap::info(MO::InfoParams::Reader, MO::InfoResults::Builder r) {
  r.setPageCount(pages_);
  r.setSizeBytes(uint64_t{pages_} * abi::PAGE_SIZE);
  return {};
}

Status MemoryObjectCap::map(MO::MapParams::Reader p, MO::MapResults::Builder r) {
  uint8_t prot = CAPOS_TRY(prot_of(p));
  AddressSpace& as = current_call().caller.address_space();
  // The mapping takes its own reference (released by unmap or exit).
  UserAddr addr = CAPOS_TRY(as.map_object(Ref<KObject>::share(this), Span<const uint64_t>(frames_, pages_),
                                          UserAddr(p.getHint()), prot));
  r.setAddr(addr.raw());
  return {};
}

Status MemoryObjectCap::unmap(MO::UnmapParams::Reader p, MO::UnmapResults::Builder) {
  // A mapping of this object always spans the whole object.
  uint64_t size = uint64_t{pages_} * abi::PAGE_SIZE;
  UserAddr addr(p.getAddr());
  CAPOS_TRY_STATUS(preflight_address_change(addr, size));
  Process& caller = current_call().caller;
  CAPOS_TRY_STATUS(caller.address_space().unmap_object(this, addr));
  caller.parks().address_removed(addr, size);  // parked words there: cancelled
  return {};
}

}  // namespace capos
