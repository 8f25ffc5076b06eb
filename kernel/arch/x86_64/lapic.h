// Local APIC: periodic timer calibrated against the PIT, and EOI.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::arch {

Status lapic_init();
// Starts the periodic timer at `hz` on VEC_TIMER; returns the calibrated
// LAPIC timer input frequency (Hz) and TSC frequency via out-params.
Status lapic_timer_start(uint32_t hz, uint64_t* lapic_hz, uint64_t* tsc_hz);
// Starts this CPU's periodic timer with the boot CPU's calibration (an
// AP: all local APIC timers run from the same bus clock).
void lapic_timer_start_this_cpu();
// Stops this CPU's timer (an idle AP: nothing to preempt, and a wakeup
// arrives as an IPI or a device interrupt); lapic_timer_start_this_cpu
// starts it again.
void lapic_timer_stop_this_cpu();
// Makes this CPU's timer fire VEC_TIMER once, `ns` from now (at most a
// minute: a later deadline is re-armed when it fires); the boot CPU's
// tickless idle. lapic_timer_start_this_cpu returns to periodic.
void lapic_timer_oneshot_this_cpu(uint64_t ns);
void lapic_eoi();
// Sends fixed-delivery interrupt `vector` to `apic_id` (interrupts are
// masked around the two ICR writes).
void lapic_send_fixed(uint32_t apic_id, uint8_t vector);
// Sends an IPI (ICR low word `icr`, e.g. INIT or STARTUP) to `apic_id` and
// waits for delivery.
void lapic_send_ipi(uint32_t apic_id, uint32_t icr);
// Software-enables this CPU's local APIC (an AP's first step).
void lapic_enable_this_cpu();
// This CPU's local APIC id (the destination of MSI messages aimed at it).
uint32_t lapic_id();

}  // namespace capos::arch
