// DmaPool.pin / unpin: zero-copy DMA into memory a driver was given.
// A pin maps pages of someone else's MemoryObject (a BlockDevice bulk
// caller's buffer) into the pool's device domain, in a 1 MiB window of
// its own, for as long as the driver's request is out; unpin clears the
// entries and drains the IOMMU's caches before it returns. The pin holds
// a reference to the object, so its frames outlive any exit or release
// by their owner until the device can no longer reach them. Without an
// IOMMU (the dmaWithoutIommu opt-in) the device gets physical addresses.
// docs/devices.md "Zero-copy bulk DMA".
#include "kernel/objects/device_caps.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/objects/revoker_cap.h"
#include "kernel/proc/process.h"

namespace capos {

namespace wire = schema::wire;

namespace {
// Most IOMMU table frames the pin window can need: one leaf per 2 MiB of
// the window plus the upper levels above it (at most three).
constexpr uint64_t WINDOW_PAGES = uint64_t{DmaPoolCap::MAX_PINS} * (DmaPoolCap::PIN_STRIDE / 4096);
constexpr uint32_t WINDOW_TABLES_MAX = static_cast<uint32_t>(WINDOW_PAGES / 512) + 3;
static_assert(DmaPoolCap::PIN_BASE % (2u << 20) == 0 && DmaPoolCap::PIN_STRIDE % 4096 == 0);
static_assert(DmaPoolCap::PIN_BASE >= DmaPoolCap::IOVA_BASE + uint64_t{wire::MAX_DMA_POOL_PAGES} * 4096);
constexpr uint32_t handle_of(uint32_t slot, uint8_t generation) { return uint32_t{generation} << 8 | slot; }

// The MemoryObject a pin param names: the cap itself, or the target of a
// wrapper not yet revoked.
Result<MemoryObjectCap*> pinned_object(CallContext& ctx, Result<uint32_t> index) {
  uint64_t iface = 0;
  KObject* held = index && ctx.xfer ? ctx.xfer->peek(*index, &iface) : nullptr;
  if (!held || iface != wire::MemoryObject::kInterfaceId) return fail(Err::InvalidArgument);
  if (auto* w = down_cast<Revocable>(held)) {
    held = w->target();
    if (!held) return fail(Err::Disconnected);
  }
  MemoryObjectCap* m = down_cast<MemoryObjectCap>(held);
  if (!m) return fail(Err::InvalidArgument);
  return m;
}
}  // namespace

Status DmaPoolCap::pin(DP::PinParams::Reader p, DP::PinResults::Builder r) {
  CallContext& ctx = current_call();
  if (faulted_) return fail(Err::Disconnected);
  MemoryObjectCap* m = CAPOS_TRY(pinned_object(ctx, p.getBuffer()));
  uint64_t offset = p.getOffset();
  uint32_t pages = p.getPageCount();
  Span<const uint64_t> frames = m->frames();
  if (pages == 0 || pages > wire::MAX_DMA_PIN_PAGES || offset % 4096 || offset / 4096 > frames.size() ||
      pages > frames.size() - offset / 4096)
    return fail(Err::InvalidArgument);
  uint32_t slot = 0;
  while (slot < MAX_PINS && pins_[slot].object) ++slot;
  if (slot == MAX_PINS) return fail(Err::Overloaded);
  auto iovas = CAPOS_TRY(r.initIovas(pages));
  // The reply is sized now: a caller that could not receive it would never
  // learn the handle, and the pin would hold a slot until the pool goes.
  if (!ctx.reply || ctx.reply->stream_size() > ctx.result.len) return fail(Err::OutOfRange);
  Span<const uint64_t> run = CAPOS_TRY(frames.subspan(offset / 4096, pages));
  uint64_t base = PIN_BASE + slot * PIN_STRIDE;
  if (domain_) {
    if (!window_ready_) {
      // The window's tables, once per pool, paid by the first pinner (the
      // driver): reserve the most they can take, keep what they took.
      Reservation charge = CAPOS_TRY(ctx.caller.ledger().reserve(Res::FramePages, WINDOW_TABLES_MAX));
      auto made = iommu::prepare_range(domain_, PIN_BASE, WINDOW_PAGES);
      if (!made) return fail(Err::Overloaded);  // tables made so far go with the domain
      charge.commit();
      ctx.caller.ledger().release(Res::FramePages, WINDOW_TABLES_MAX - *made);
      ctx.caller.address_space().attach_charge(window_charge_, this, *made);
      window_ready_ = true;
    }
    CAPOS_TRY_STATUS(iommu::map_range(domain_, base, run, p.getDeviceWrites()));
  }
  for (uint32_t i = 0; i < pages; ++i) iovas.set(i, domain_ ? base + uint64_t{i} * 4096 : run[i]);
  Pin& pin = pins_[slot];
  pin.object = Ref<MemoryObjectCap>::share(m);
  pin.pages = pages;
  ++pin.generation;
  r.setPin(handle_of(slot, pin.generation));
  return {};
}

void DmaPoolCap::drop_pin(uint32_t slot) {
  Pin& pin = pins_[slot];
  if (domain_) iommu::unmap_range(domain_, PIN_BASE + slot * PIN_STRIDE, pin.pages);  // drained on return
  pin.object = Ref<MemoryObjectCap>();  // only now may the frames go
  pin.pages = 0;
}

Status DmaPoolCap::unpin(DP::UnpinParams::Reader p, DP::UnpinResults::Builder) {
  uint32_t h = p.getPin(), slot = h & 0xFF;
  if (h >> 16 || slot >= MAX_PINS || !pins_[slot].object || handle_of(slot, pins_[slot].generation) != h)
    return fail(Err::InvalidArgument);
  drop_pin(slot);
  return {};
}

}  // namespace capos
