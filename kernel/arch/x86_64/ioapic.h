// IOAPIC: routes legacy device interrupts (COM1) to LAPIC vectors.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::arch {

Status ioapic_init(uint64_t rsdp_hint);
// Routes ISA IRQ `irq` (honouring ACPI overrides) to `vector` on CPU 0.
Status ioapic_route_isa(uint8_t irq, uint8_t vector);

// Interrupt remapping (kernel/dev/intremap.cpp): rewrites every routed
// (unmasked) pin in remappable format, naming the entry `entry` returns
// for the pin's vector, destination and trigger mode. A pin whose entry
// cannot be had stays masked and the error is returned.
using IoapicRemapFn = Result<uint16_t> (*)(uint8_t vector, uint8_t dest, bool level);
Status ioapic_use_remapping(IoapicRemapFn entry);

}  // namespace capos::arch
