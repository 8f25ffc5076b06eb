// Application processors (issue 15, first step; docs/smp.md): the BSP
// finds every enabled CPU in the ACPI MADT and starts it with
// INIT-SIPI-SIPI through a real-mode trampoline. A started AP gets its own
// kernel stack, per-CPU record, GDT, TSS and IST stacks, loads the kernel's
// tables, sets up SYSCALL, the FPU and its local APIC timer, reports in
// and enters the scheduler once the boot CPU has. A CPU that does not
// answer is reported and skipped.
#pragma once

#include "kernel/arch/x86_64/percpu.h"

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::arch {

constexpr uint64_t AP_TRAMPOLINE = 0x8000;        // code page (SIPI vector 0x08)
constexpr uint64_t AP_TRAMPOLINE_PAGES = 4;        // code + PML4 + PDPT + PD

// Starts the APs listed in the MADT; returns how many CPUs are online
// (the BSP included).
uint32_t smp_start_aps(uint64_t rsdp_hint);
uint32_t cpus_online();

}  // namespace capos::arch
