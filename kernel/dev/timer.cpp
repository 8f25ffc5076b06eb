#include "kernel/dev/timer.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/pic.h"

namespace capos::timer {

namespace {

// Periods of timer work so far: the boot CPU's ticks, and while it idles
// without its tick, the periods an AP claimed (claim_period). A count of
// interrupts, not time, so self-test timeouts in ticks stretch with a
// loaded host as the CPUs they wait for do (atomic).
uint64_t g_ticks = 0;
uint64_t g_claimed_period = 0;  // the last period an AP claimed (atomic)
constexpr uint64_t PERIOD_NS = 1000000000ull / TICK_HZ;
uint64_t g_tsc_hz = 0;
uint64_t g_lapic_hz = 0;
uint64_t g_tsc_base = 0;
// Nanoseconds per TSC cycle, 32.32 fixed point: now_ns is one 64x64->128
// multiply, exact to < 1 ns per second at GHz rates, and cannot overflow
// for any calibration (the old d % hz * 1e9 wrapped above 18.4 GHz, which
// a preempted calibration window on a loaded host can produce).
constexpr uint64_t NS_PER_S = 1'000'000'000ull;
uint64_t g_ns_per_cycle_q32 = 0;
void (*g_hook)(const arch::InterruptFrame&) = nullptr;

void on_tick(arch::InterruptFrame& f) {
  arch::PerCpu& c = arch::this_cpu();
  __atomic_store_n(&c.ticks, c.ticks + 1, __ATOMIC_RELAXED);  // only this CPU writes it
  arch::lapic_eoi();
  if (g_hook) g_hook(f);
}

}  // namespace

Status init() {
  arch::pic_disable();
  CAPOS_TRY_STATUS(arch::lapic_init());
  arch::set_irq_handler(arch::VEC_TIMER, on_tick);
  g_tsc_base = arch::rdtsc();
  CAPOS_TRY_STATUS(arch::lapic_timer_start(TICK_HZ, &g_lapic_hz, &g_tsc_hz));
  if (g_tsc_hz == 0) return fail(Err::Unsupported);
  g_ns_per_cycle_q32 = (NS_PER_S << 32) / g_tsc_hz;
  return {};
}

uint64_t ticks() { return __atomic_load_n(&g_ticks, __ATOMIC_RELAXED); }
void count_tick() { __atomic_add_fetch(&g_ticks, 1, __ATOMIC_RELAXED); }

bool claim_period() {
  uint64_t p = now_ns() / PERIOD_NS;
  uint64_t last = __atomic_load_n(&g_claimed_period, __ATOMIC_RELAXED);
  if (p <= last || !__atomic_compare_exchange_n(&g_claimed_period, &last, p, false, __ATOMIC_RELAXED,
                                                __ATOMIC_RELAXED))
    return false;
  __atomic_add_fetch(&g_ticks, 1, __ATOMIC_RELAXED);
  return true;
}
uint64_t tsc_hz() { return g_tsc_hz; }
uint64_t lapic_hz() { return g_lapic_hz; }
void set_tick_hook(void (*hook)(const arch::InterruptFrame&)) { g_hook = hook; }

uint64_t now_ns() {
  if (!g_ns_per_cycle_q32) return 0;
  uint64_t d = arch::rdtsc() - g_tsc_base;
  return static_cast<uint64_t>((static_cast<unsigned __int128>(d) * g_ns_per_cycle_q32) >> 32);
}

}  // namespace capos::timer
