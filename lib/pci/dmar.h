// ACPI DMAR (Intel VT-d spec, chapter 8): where the DMA remapping units
// are. Only what the kernel uses is extracted: the host address width and
// each DRHD's register base, segment and INCLUDE_PCI_ALL flag. The table
// is untrusted: signature, length and checksum are checked, every
// remapping structure must fit inside the table and be long enough for
// its type, a DRHD's register base must be page-aligned, and each device
// scope must fit inside its DRHD with a whole number of path elements.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::pci {

// One device-scope entry of a DRHD: the device at the end of a path that
// starts on `bus` (depth > 1 means behind bridges).
struct DeviceScope {
  uint8_t type;  // 1 endpoint, 2 bridge sub-hierarchy, 3 IOAPIC, 4 HPET
  uint8_t bus;
  uint8_t dev, fn;  // the path's last element
  uint8_t depth;    // path elements
};

struct Drhd {
  static constexpr uint32_t MAX_SCOPES = 32;
  uint64_t register_base;
  uint16_t segment;
  bool include_pci_all;  // covers every device of the segment not named by another unit
  uint32_t scope_count;
  DeviceScope scopes[MAX_SCOPES];
  // True when the unit translates function (bus, dev, fn) on its segment:
  // INCLUDE_PCI_ALL, or an endpoint scope naming it directly (depth 1).
  bool covers(uint8_t bus, uint8_t dev, uint8_t fn) const;
};

struct Dmar {
  uint8_t host_address_width;  // DMA address bits - 1
  uint32_t drhd_count;         // DRHDs stored in the caller's span
};

// Parses `table` (the whole DMAR, header included); DRHDs go to `out`
// (more than out.size() are counted in no field: the table is refused
// with LimitExceeded, so a unit is never silently ignored).
Result<Dmar> parse_dmar(Bytes table, Span<Drhd> out);

}  // namespace capos::pci
