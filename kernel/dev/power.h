// Machine power: ACPI S5 soft-off and the ACPI reset register, learnt
// once at boot from the FADT and the DSDT's \_S5 object.
//
// Power-off order: QEMU's isa-debug-exit device first when present (it
// carries the status the test harness judges: docs/abi.md), then ACPI S5
// (PM1a/PM1b control <- SLP_TYP | SLP_EN). Reboot order: ACPI RESET_REG,
// then the 8042 keyboard controller's reset line, then a triple fault.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::power {

// Reads the FADT and \_S5 through `rsdp_hint` (0: scan the BIOS area) and
// logs one line saying how this machine will power off and reset.
void init(uint64_t rsdp_hint);

// Powers the machine off with `debug_exit_code` as the QEMU exit status
// when the debug-exit device exists. Returns only if nothing worked:
// Unsupported when there is no usable S5 (no FADT, no \_S5, registers
// we cannot drive), Failed when S5 was written but power stayed on.
Status power_off(uint8_t debug_exit_code);

// Resets the machine; never returns (the last resort cannot fail).
[[noreturn]] void reboot();

}  // namespace capos::power
