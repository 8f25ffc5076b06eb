// Intel VT-d in-memory formats the kernel writes (VT-d spec 3.x, chapters
// 5, 6.5 and 9): interrupt remapping table entries (IRTEs), the
// remappable-format MSI address and IOAPIC redirection entry that name
// an IRTE, and the 128-bit queued-invalidation descriptors. Pure
// encoders and a fixed-size IRTE index allocator, so the bit layouts are
// tested on the host (tests/host/pci/vtd_format_test.cpp); the kernel's
// kernel/dev/iommu.cpp and kernel/dev/intremap.cpp only store the words.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::pci::vtd {

// One 128-bit IRTE or invalidation descriptor, low quadword first.
struct Quad128 {
  uint64_t lo, hi;
};

// A remapped interrupt: fixed delivery, physical destination mode, to
// xAPIC id `dest` (EIME=0, so the id sits in IRTE bits 47:40), raised only
// by requester `source_id` (bus << 8 | devfn): SVT=01 with SQ=00 makes the
// unit compare all 16 bits and fault (reason 0x26) on any other source.
struct Irte {
  uint8_t vector;
  uint8_t dest;        // xAPIC id
  uint16_t source_id;  // requester id allowed to use this entry
  bool level;          // trigger mode (IOAPIC level pins); MSIs are edge
};
Quad128 encode_irte(const Irte& e);
// The fields back from an encoded entry; NotFound if it is not present.
Result<Irte> decode_irte(Quad128 q);

// MSI/MSI-X address and data naming IRTE `handle` in remappable format
// (interrupt format bit 4 set, SHV set with sub-handle 0 in the data).
struct MsiMessage {
  uint32_t addr_lo, addr_hi, data;
};
MsiMessage remappable_msi(uint16_t handle);
// Whether an MSI address is in remappable format (bit 4).
constexpr bool msi_is_remappable(uint32_t addr_lo) { return (addr_lo >> 4) & 1; }

// IOAPIC redirection entry (low, high dword) naming IRTE `handle`, with
// the vector and trigger mode the spec requires to match the IRTE.
struct RteWords {
  uint32_t lo, hi;
};
RteWords remappable_rte(uint16_t handle, uint8_t vector, bool level, bool active_low, bool masked);

// Queued invalidation descriptors (VT-d 6.5.2).
Quad128 inv_context_global();
Quad128 inv_iotlb_global();            // drain reads and writes
Quad128 inv_iotlb_domain(uint16_t domain);  // one domain's entries, reads and writes drained
Quad128 inv_iec_global();              // every cached IRTE
Quad128 inv_iec_index(uint16_t index);  // one cached IRTE
// Writes `status` to the 4-byte-aligned physical `status_addr` once every
// earlier descriptor has completed.
Quad128 inv_wait(uint64_t status_addr, uint32_t status);

// Fault reasons at or above this are interrupt-remapping faults (the
// recorded FI field then holds the interrupt index in bits 63:48).
constexpr uint8_t FAULT_IR_FIRST = 0x20;
const char* fault_reason_name(uint8_t reason);

// IRTE indexes of one table of `SIZE` entries. Index 0 is never handed
// out: a forged remappable message with all-zero handle bits names an
// entry that is never present.
class IrteAllocator {
 public:
  static constexpr uint32_t SIZE = 256;  // one 4 KiB page of 16-byte entries
  // Overloaded when every index is in use.
  Result<uint16_t> alloc();
  // InvalidArgument for index 0, out of range, or not allocated.
  Status free(uint16_t index);
  bool in_use(uint16_t index) const { return index != 0 && index < SIZE && ((bits_[index / 64] >> (index % 64)) & 1); }
  uint32_t used() const;

 private:
  uint64_t bits_[SIZE / 64] = {1};  // index 0 reserved
};

}  // namespace capos::pci::vtd
