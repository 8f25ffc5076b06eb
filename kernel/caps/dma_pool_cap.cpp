#include "kernel/caps/device_caps.h"
#include "kernel/caps/kernel_server.h"
#include "kernel/proc/process.h"

namespace capos {

namespace wire = schema::wire;

void DmaPoolCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

// Stop the device reaching memory before any of its pages can be reused:
// bus mastering goes off here, the buffers are released after this body.
DmaPoolCap::~DmaPoolCap() { static_cast<DeviceMmioCap*>(dev_.get())->set_bus_master(false); }

Status DmaPoolCap::allocate(DP::AllocateParams::Reader p, DP::AllocateResults::Builder r) {
  uint32_t pages = p.getPageCount();
  if (pages == 0 || pages > wire::MAX_DMA_ALLOCATE_PAGES) return fail(Err::InvalidArgument);
  if (pages > max_pages_ - used_pages_ || buffer_count_ == MAX_BUFFERS) return fail(Err::Overloaded);
  CallContext& ctx = current_call();
  // Quota and the result slot first: nothing is allocated unless both fit.
  Reservation charge = CAPOS_TRY(ctx.caller.ledger().reserve(Res::FramePages, pages));
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  auto iovas = CAPOS_TRY(r.initIovas(pages));
  auto obj = MemoryObjectCap::create(pages);  // zeroed frames: nothing stale reaches the device
  if (!obj) return fail(obj.error() == Err::OutOfMemory ? Err::Overloaded : obj.error());
  charge.commit();
  (*obj)->set_payer(ctx.caller.address_space());
  // Without an IOMMU the device addresses memory physically, so an IOVA is
  // the frame's physical address; with one it would be a domain address.
  Span<const uint64_t> frames = (*obj)->frames();
  for (uint32_t i = 0; i < pages; ++i) iovas.set(i, frames[i]);
  Ref<KObject> ref = Ref<KObject>::adopt(*obj);
  buffers_[buffer_count_++] = ref;  // device-visible until the pool goes
  used_pages_ += pages;
  r.setBuffer(CAPOS_TRY(ctx.add_result(move(ref), wire::MemoryObject::kInterfaceId)));
  return {};
}

Status DmaPoolCap::info(DP::InfoParams::Reader, DP::InfoResults::Builder r) {
  r.setMaxPages(max_pages_);
  r.setUsedPages(used_pages_);
  r.setIsolated(isolated_);
  return {};
}

}  // namespace capos
