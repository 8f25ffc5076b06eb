#include "kernel/objects/frame_alloc_cap.h"

#include "kernel/objects/kernel_server.h"
#include "kernel/objects/memory_object_cap.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"

namespace capos {

namespace wire = schema::wire;

void FrameAllocCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status FrameAllocCap::allocate(wire::FrameAllocator::AllocateParams::Reader p,
                               wire::FrameAllocator::AllocateResults::Builder r) {
  CallContext& ctx = current_call();
  uint32_t pages = p.getPageCount();
  if (pages == 0) return fail(Err::InvalidArgument);
  // Quota and the result slot first: nothing is allocated unless both fit.
  Reservation charge = CAPOS_TRY(ctx.caller.ledger().reserve(Res::FramePages, pages));
  if (pages > MemoryObjectCap::MAX_PAGES) return fail(Err::Overloaded);
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  auto obj = MemoryObjectCap::create(pages);
  if (!obj) return fail(obj.error() == Err::OutOfMemory ? Err::Overloaded : obj.error());
  charge.commit();
  (*obj)->set_payer(ctx.caller.address_space());  // from here on the object owns the charge
  uint32_t idx = CAPOS_TRY(ctx.add_result(move(*obj), wire::MemoryObject::kInterfaceId));
  r.setMemory(idx);
  return {};
}

}  // namespace capos
