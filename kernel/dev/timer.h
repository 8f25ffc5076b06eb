// System time: a periodic LAPIC tick drives scheduling; TSC gives
// nanosecond-resolution monotonic time.
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/interrupt_frame.h"
#include "lib/core/result.h"

namespace capos::timer {

constexpr uint32_t TICK_HZ = 100;

Status init();
uint64_t ticks();
uint64_t now_ns();          // since timer init
uint64_t tsc_hz();
uint64_t lapic_hz();
// Hook run on every tick (scheduler preemption arrives with processes).
void set_tick_hook(void (*hook)(const arch::InterruptFrame&));

}  // namespace capos::timer
