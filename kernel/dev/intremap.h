// VT-d interrupt remapping (docs/devices.md, "Interrupt remapping"). With
// it on, the unit delivers a device interrupt only through an entry of
// the kernel's interrupt remapping table (IRTE): the entry names the
// vector, the CPU, and the one requester (bus:dev.fn) allowed to use it.
// Compatibility-format MSIs (a plain write of vector to 0xFEE00000, which
// is all a device with DMA needs to forge one) are blocked (GSTS.CFIS
// stays clear), and a request that names a missing entry or comes from
// another source faults in the unit instead of reaching a CPU.
#pragma once

#include <stdint.h>

#include "kernel/sched/kernel_lock.h"
#include "lib/core/result.h"

namespace capos::iommu::intremap {

// Boot (one thread, interrupts off), after translation is on with queued
// invalidation: installs an empty table, switches remapping on, and moves
// the IOAPIC's routed pins to remappable entries. Unsupported when the
// unit has no remapping or the DMAR names no IOAPIC source.
Status init();
bool active();

// An entry delivering `vector` to xAPIC `dest`, usable only by requester
// `source_id` (bus << 8 | devfn); returns its handle for the MSI address.
// Overloaded when the table is full.
Result<uint16_t> alloc(uint16_t source_id, uint8_t vector, uint8_t dest) CAPOS_REQUIRES(g_kernel_lock);
// Clears the entry and flushes the unit's cached copy before the handle
// can be reused. The caller masks the MSI-X entry first.
void free(uint16_t handle) CAPOS_REQUIRES(g_kernel_lock);
// Entries in use (IOAPIC pins and MSI-X routes), for tests and the log.
uint32_t used() CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::iommu::intremap
