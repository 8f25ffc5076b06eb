// PCI(e) enumeration through ECAM (ACPI MCFG). The kernel only finds the
// functions, sizes their BARs and reads their capability lists; it does
// not drive them. The table built here is what DeviceManager hands out,
// one function at a time (kernel/objects/device_caps.h, docs/devices.md).
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "lib/pci/config.h"

namespace capos::pci {

struct Device {
  uint8_t bus, dev, fn;
  Function info;
  uint64_t config_va;  // this function's 4 KiB of ECAM, mapped uncached
  bool claimed;        // held by a driver (one owner at a time)
  uint64_t msix_va;    // kernel mapping of the MSI-X table (mapped at first claim, kept)
};

constexpr uint32_t MAX_DEVICES = 64;

// Finds MCFG, maps segment 0's ECAM bus by bus and probes every function,
// following PCI-to-PCI bridges. Logs one line per function. NotFound
// when there is no MCFG (no PCIe: e.g. QEMU's i440fx machine).
Status init(uint64_t rsdp_hint);
uint32_t count();
Device* device(uint32_t index);
// The device at (bus, dev, fn); null if none was enumerated there.
Device* find(uint8_t bus, uint8_t dev, uint8_t fn);

// Config-space access of an enumerated function (kernel use only).
uint32_t config_read32(const Device& d, uint16_t off);
void config_write32(const Device& d, uint16_t off, uint32_t value);

// True when a DMA remapping unit (ACPI DMAR) was reported by firmware.
bool iommu_present();

}  // namespace capos::pci
