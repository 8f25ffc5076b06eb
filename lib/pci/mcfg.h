// ACPI MCFG (PCI Firmware Spec 3.0, 4.1.2): where each PCI segment's
// enhanced configuration space (ECAM) lives. The table comes from
// firmware and is treated as untrusted bytes: signature, length and
// checksum are checked, every entry must name an ordered bus range and a
// 1 MiB-aligned base whose window does not wrap.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::pci {

struct EcamRegion {
  uint64_t base;  // physical address of bus 0's config space (even if start_bus > 0)
  uint16_t segment;
  uint8_t start_bus;
  uint8_t end_bus;
};

// Bytes of ECAM for one bus: 32 devices x 8 functions x 4 KiB.
constexpr uint64_t ECAM_BUS_BYTES = 1ull << 20;

// Offset of (bus, device, function) inside a segment's ECAM window.
constexpr uint64_t ecam_offset(uint8_t bus, uint8_t dev, uint8_t fn) {
  return (uint64_t{bus} << 20) | (uint64_t(dev & 31u) << 15) | (uint64_t(fn & 7u) << 12);
}

// Parses `table` (the whole MCFG, header included) into `out`; returns
// how many regions were stored. Entries beyond out.size() are ignored
// (the count says so: it is min(entries, out.size())).
// Errors: Truncated (shorter than its header or declared length),
// Corrupt (signature, checksum, an entry with end_bus < start_bus, an
// unaligned base, or a window that wraps the address space).
Result<size_t> parse_mcfg(Bytes table, Span<EcamRegion> out);

}  // namespace capos::pci
