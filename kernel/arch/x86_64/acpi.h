// Minimal ACPI: find the MADT to learn the IOAPIC and how ISA IRQs map
// to global system interrupts (interrupt source overrides). Every table
// is bounds- and checksum-checked before use.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::acpi {

struct IsaRoute {
  uint32_t gsi;
  bool active_low;
  bool level;
};

constexpr uint32_t MADT_MAX_CPUS = 64;

struct Madt {
  uint64_t ioapic_phys = 0;
  uint32_t ioapic_gsi_base = 0;
  uint32_t lapic_count = 0;                // enabled or online-capable CPUs
  uint8_t lapic_ids[MADT_MAX_CPUS] = {};   // their APIC ids (first MADT_MAX_CPUS)
  IsaRoute isa[16];
};

// The whole table with signature `sig` (4 chars), bounds- and
// checksum-checked, as a view into the direct map; NotFound if absent.
Result<Bytes> find_table(uint64_t rsdp_hint, const char* sig);

// `rsdp_hint` is the loader-provided RSDP (0: scan the BIOS areas).
Result<Madt> find_madt(uint64_t rsdp_hint);

// The table at physical `phys` (one not listed in the RSDT/XSDT, e.g. the
// FADT's DSDT), bounds- and checksum-checked; Corrupt if unreadable.
Result<Bytes> table_at(uint64_t phys);

}  // namespace capos::acpi
