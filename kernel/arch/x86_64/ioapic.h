// IOAPIC: routes legacy device interrupts (COM1) to LAPIC vectors.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::arch {

Status ioapic_init(uint64_t rsdp_hint);
// Routes ISA IRQ `irq` (honouring ACPI overrides) to `vector` on CPU 0.
Status ioapic_route_isa(uint8_t irq, uint8_t vector);

}  // namespace capos::arch
