// Userspace side of device authority (schema/devices.capnp): claim a PCI
// function through DeviceManager, map its BAR ranges, route MSI-X entries
// to Interrupt caps and get DMA buffers from its DmaPool. Thin typed
// wrappers over the generated clients, shared by the drivers and the
// device tests.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "schema/devices.capnp.capos.h"

namespace capos::drivers {

struct Found {
  uint8_t bus, dev, fn;
  uint16_t vendor, device;
};

// The first unclaimed function with `vendor` and one of `devices`.
Result<Found> find_device(uint32_t manager, uint16_t vendor, Span<const uint16_t> devices);
// DeviceManager.claim -> the DeviceMmio cap id.
Result<uint32_t> claim(uint32_t manager, uint8_t bus, uint8_t dev, uint8_t fn);

Result<uint32_t> read_config(uint32_t mmio, uint16_t offset);
Result<uint64_t> map_bar(uint32_t mmio, uint8_t bar, uint64_t offset, uint64_t size);
Status unmap_bar(uint32_t mmio, uint64_t addr);
// DeviceMmio.interrupt -> the Interrupt cap id.
Result<uint32_t> route_interrupt(uint32_t mmio, uint16_t entry);
// DeviceMmio.dmaPool -> the DmaPool cap id.
Result<uint32_t> dma_pool(uint32_t mmio, uint32_t max_pages);
// Interrupt.wait: how many times the vector fired.
Result<uint64_t> wait_interrupt(uint32_t irq);

// Pages from a DmaPool, mapped read-write into this process.
struct DmaBuffer {
  static constexpr uint32_t MAX_PAGES = 16;
  uint32_t memory = 0;  // MemoryObject cap
  uint8_t* va = nullptr;
  uint32_t pages = 0;
  uint64_t iova[MAX_PAGES] = {};
  // Device address of byte `off` (must not cross a page boundary in use).
  uint64_t iova_at(uint32_t off) const { return iova[off / 4096] + (off % 4096); }
};
Result<DmaBuffer> dma_alloc(uint32_t pool, uint32_t pages);

// The failure reason of the last call (exception message, or empty).
StrView last_error();

}  // namespace capos::drivers
