// Local APIC: periodic timer calibrated against the PIT, and EOI.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::arch {

Status lapic_init();
// Starts the periodic timer at `hz` on VEC_TIMER; returns the calibrated
// LAPIC timer input frequency (Hz) and TSC frequency via out-params.
Status lapic_timer_start(uint32_t hz, uint64_t* lapic_hz, uint64_t* tsc_hz);
void lapic_eoi();
// This CPU's local APIC id (the destination of MSI messages aimed at it).
uint32_t lapic_id();

}  // namespace capos::arch
