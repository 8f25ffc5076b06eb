// Application processors (issue 15, first step; docs/smp.md): the BSP
// finds every enabled CPU in the ACPI MADT and starts it with
// INIT-SIPI-SIPI through a real-mode trampoline. A started AP gets its own
// kernel stack and per-CPU record, loads the kernel's tables, enables its
// local APIC, reports in and parks (interrupts off, halted): it runs no
// threads yet. A CPU that does not answer is reported and skipped.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::arch {

constexpr uint32_t MAX_CPUS = 16;
constexpr uint64_t AP_TRAMPOLINE = 0x8000;        // code page (SIPI vector 0x08)
constexpr uint64_t AP_TRAMPOLINE_PAGES = 4;        // code + PML4 + PDPT + PD

// Starts the APs listed in the MADT; returns how many CPUs are online
// (the BSP included).
uint32_t smp_start_aps(uint64_t rsdp_hint);
uint32_t cpus_online();

}  // namespace capos::arch
