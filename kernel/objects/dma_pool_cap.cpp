#include "kernel/objects/device_caps.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/debug/log.h"
#include "kernel/proc/process.h"
#include "lib/pci/vtd_format.h"

namespace capos {

namespace wire = schema::wire;

Result<Ref<KObject>> DmaPoolCap::create(Ref<DeviceMmioCap> dev, uint32_t max_pages, Ref<ExitWatch> owner) {
  Ref<DmaPoolCap> obj = HeapKernelCap<DmaPoolCap>::create(dev, max_pages, owner);
  if (!obj) return fail(Err::Overloaded);
  DmaPoolCap* pool = obj.get();
  if (iommu::active()) {
    pci::Device& d = pool->mmio().device();
    auto dom = iommu::create_domain(d.bus, static_cast<uint8_t>(d.dev << 3 | d.fn), on_fault, pool);
    if (!dom) return fail(dom.error() == Err::OutOfMemory ? Err::Overloaded : dom.error());
    pool->domain_ = *dom;
  }
  return Ref<KObject>(move(obj));
}

void DmaPoolCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

// Stop the device reaching memory before any of its pages can be reused:
// bus mastering goes off and its domain is emptied here, the buffers are
// released after this body.
DmaPoolCap::~DmaPoolCap() {
  mmio().set_bus_master(false);
  if (domain_) iommu::destroy_domain(domain_);
  g_kernel_lock.assert_held();  // reached through a reference count, always under the lock
  for (Pin& p : pins_) p.object = Ref<MemoryObjectCap>();  // the device is off: pinned frames may go
  AddressSpace::release_charge(window_charge_);
}

// Deferred work (iommu::handle_faults): the device touched memory outside
// its pool. Contain it at once (no more bus mastering) and stop its driver.
void DmaPoolCap::on_fault(void* self, uint64_t iova, uint8_t reason, bool write) {
  auto* pool = static_cast<DmaPoolCap*>(self);
  pool->mmio().set_bus_master(false);
  if (pool->faulted_) return;
  pool->faulted_ = true;
  g_kernel_lock.assert_held();
  bool killed = pool->owner_ && pool->owner_->request_kill();
  pci::Device& d = pool->mmio().device();
  if (reason >= pci::vtd::FAULT_IR_FIRST)  // `iova` is the interrupt index the device named
    klog("devices: {:02x}:{:02x}.{} raised an interrupt it does not own (index {}, {}): bus mastering off, "
         "driver pid {} {}\n",
         d.bus, d.dev, d.fn, iova, pci::vtd::fault_reason_name(reason), pool->owner_ ? pool->owner_->pid() : 0,
         killed ? "stopped" : "already gone");
  else
    klog("devices: {:02x}:{:02x}.{} DMA outside its pool ({} iova {:#x}): bus mastering off, driver pid {} {}\n",
         d.bus, d.dev, d.fn, write ? "write" : "read", iova, pool->owner_ ? pool->owner_->pid() : 0,
         killed ? "stopped" : "already gone");
}

Status DmaPoolCap::allocate(DP::AllocateParams::Reader p, DP::AllocateResults::Builder r) {
  uint32_t pages = p.getPageCount();
  if (pages == 0 || pages > wire::MAX_DMA_ALLOCATE_PAGES) return fail(Err::InvalidArgument);
  if (pages > max_pages_ - used_pages_ || buffer_count_ == MAX_BUFFERS) return fail(Err::Overloaded);
  if (faulted_) return fail(Err::Disconnected);
  CallContext& ctx = current_call();
  // Quota and the result slot first: nothing is allocated unless both fit.
  Reservation charge = CAPOS_TRY(ctx.caller.ledger().reserve(Res::FramePages, pages));
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  auto iovas = CAPOS_TRY(r.initIovas(pages));
  auto obj = MemoryObjectCap::create(pages);  // zeroed frames: nothing stale reaches the device
  if (!obj) return fail(obj.error() == Err::OutOfMemory ? Err::Overloaded : obj.error());
  Ref<MemoryObjectCap> ref = move(*obj);
  Span<const uint64_t> frames = ref->frames();
  for (uint32_t i = 0; i < pages; ++i) {
    // Isolated: the pool's own IOVA window, mapped in the device's domain.
    // Otherwise the device addresses memory physically.
    uint64_t iova = domain_ ? IOVA_BASE + uint64_t{used_pages_ + i} * 4096 : frames[i];
    if (domain_) {
      if (Status st = iommu::map(domain_, iova, frames[i]); !st) {
        while (i-- > 0) iommu::unmap(domain_, IOVA_BASE + uint64_t{used_pages_ + i} * 4096);
        return fail(Err::Overloaded);  // `ref` frees the frames, now unreachable by the device
      }
    }
    iovas.set(i, iova);
  }
  charge.commit();
  ref->set_payer(ctx.caller.address_space());
  buffers_[buffer_count_++] = ref;  // device-visible until the pool goes
  used_pages_ += pages;
  r.setBuffer(CAPOS_TRY(ctx.add_result(move(ref), wire::MemoryObject::kInterfaceId)));
  return {};
}

Status DmaPoolCap::info(DP::InfoParams::Reader, DP::InfoResults::Builder r) {
  r.setMaxPages(max_pages_);
  r.setUsedPages(used_pages_);
  r.setIsolated(domain_ != nullptr);
  return {};
}

}  // namespace capos
