// Userspace side of device authority (schema/devices.capnp): claim a PCI
// function through DeviceManager, map its BAR ranges, route MSI-X entries
// to Interrupt caps and get DMA buffers from its DmaPool. Thin typed
// wrappers over the generated clients, shared by the drivers and the
// device tests.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "schema/devices.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::drivers {

struct Found {
  uint8_t bus, dev, fn;
  uint16_t vendor, device;
};

// The first unclaimed function with `vendor` and one of `devices`.
Result<Found> find_device(rt::Cap<schema::wire::DeviceManager> manager, uint16_t vendor, Span<const uint16_t> devices);
// DeviceManager.list: how many functions the manager covers.
Result<uint32_t> count_devices(rt::Cap<schema::wire::DeviceManager> manager);
// DeviceManager.narrow to the functions with one of `ids` (vendor, device).
struct DeviceId {
  uint16_t vendor, device;
};
Result<rt::Cap<schema::wire::DeviceManager>> narrow(rt::Cap<schema::wire::DeviceManager> manager,
                                                    Span<const DeviceId> ids);
// DeviceManager.claim -> the DeviceMmio cap.
Result<rt::Cap<schema::wire::DeviceMmio>> claim(rt::Cap<schema::wire::DeviceManager> manager, uint8_t bus, uint8_t dev,
                                                uint8_t fn);

Result<uint32_t> read_config(rt::Cap<schema::wire::DeviceMmio> mmio, uint16_t offset);
Result<uint64_t> map_bar(rt::Cap<schema::wire::DeviceMmio> mmio, uint8_t bar, uint64_t offset, uint64_t size);
Status unmap_bar(rt::Cap<schema::wire::DeviceMmio> mmio, uint64_t addr);
// DeviceMmio.interrupt -> the Interrupt cap.
Result<rt::Cap<schema::wire::Interrupt>> route_interrupt(rt::Cap<schema::wire::DeviceMmio> mmio, uint16_t entry);
// DeviceMmio.dmaPool -> the DmaPool cap.
Result<rt::Cap<schema::wire::DmaPool>> dma_pool(rt::Cap<schema::wire::DeviceMmio> mmio, uint32_t max_pages);
// Interrupt.wait: how many times the vector fired.
Result<uint64_t> wait_interrupt(rt::Cap<schema::wire::Interrupt> irq);

// Pages from a DmaPool, mapped read-write into this process.
struct DmaBuffer {
  static constexpr uint32_t MAX_PAGES = 64;  // maxDmaAllocatePages
  rt::Cap<schema::wire::MemoryObject> memory;
  uint8_t* va = nullptr;
  uint32_t pages = 0;
  uint64_t iova[MAX_PAGES] = {};
  // Device address of byte `off` (must not cross a page boundary in use).
  uint64_t iova_at(uint32_t off) const { return iova[off / 4096] + (off % 4096); }
};
Result<DmaBuffer> dma_alloc(rt::Cap<schema::wire::DmaPool> pool, uint32_t pages);

// Pages of a MemoryObject the driver was given, made reachable by the
// device (DmaPool.pin) until dma_unpin: zero-copy DMA into the giver's
// memory.
struct DmaPin {
  static constexpr uint32_t MAX_PAGES = schema::wire::MAX_DMA_PIN_PAGES;
  uint32_t handle = 0;
  uint32_t pages = 0;
  uint64_t iova[MAX_PAGES] = {};
};
// Pins `pages` pages of `memory` from the page-aligned `offset` into
// `*out`; the device may write them only if `device_writes`.
Status dma_pin(rt::Cap<schema::wire::DmaPool> pool, rt::Cap<schema::wire::MemoryObject> memory, uint64_t offset,
               uint32_t pages, bool device_writes, DmaPin* out);
// Ends a pin: the device cannot reach its pages once this returns.
Status dma_unpin(rt::Cap<schema::wire::DmaPool> pool, uint32_t handle);

// The failure reason of the last call (exception message, or empty).
StrView last_error();

}  // namespace capos::drivers
