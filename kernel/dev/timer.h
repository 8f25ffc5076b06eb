// System time: a periodic LAPIC tick on every busy CPU ends time slices
// and (the boot CPU's) drives timer work; an idle CPU does not tick
// (docs/smp.md "Tickless"). TSC gives nanosecond-resolution monotonic time.
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/interrupt_frame.h"
#include "lib/core/result.h"

namespace capos::timer {

constexpr uint32_t TICK_HZ = 100;

Status init();
// Periods of timer work since timer init: the boot CPU's ticks, or while
// it idles without its tick, the periods APs claimed (docs/smp.md).
uint64_t ticks();
// One periodic tick of the boot CPU (its one-shots count through claim_period).
void count_tick();
// True for the first caller in each period (counted in ticks()): with the
// boot CPU idle and tickless, the first tick on any other CPU in a period
// runs the timer work.
bool claim_period();
uint64_t now_ns();          // since timer init
uint64_t tsc_hz();
uint64_t lapic_hz();
// Hook run on every tick (scheduler preemption arrives with processes).
void set_tick_hook(void (*hook)(const arch::InterruptFrame&));

}  // namespace capos::timer
