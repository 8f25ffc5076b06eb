#include "kernel/arch/x86_64/lapic.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/mm/paging.h"

namespace capos::arch {

namespace {

constexpr uint32_t REG_EOI = 0xB0, REG_SVR = 0xF0, REG_LVT_TIMER = 0x320, REG_TIMER_INIT = 0x380,
                   REG_TIMER_CUR = 0x390, REG_TIMER_DIV = 0x3E0;
volatile uint32_t* g_lapic = nullptr;
uint32_t g_timer_initial = 0;  // the calibrated periodic count, reused by every AP
uint64_t g_counts_per_sec = 0;  // timer counts per second at divide-by-16 (one-shot deadlines)

uint32_t rd(uint32_t reg) { return g_lapic[reg / 4]; }
void wr(uint32_t reg, uint32_t v) { g_lapic[reg / 4] = v; }

// Busy-waits `ms` milliseconds on PIT channel 2 (gate via port 0x61).
void pit_wait_ms(uint32_t ms) {
  uint32_t count = 1193182u * ms / 1000u;
  uint8_t ctl = inb(0x61);
  outb(0x61, static_cast<uint8_t>((ctl & 0xFC) | 0x01));  // gate on, speaker off
  outb(0x43, 0xB0);                                       // ch2, lo/hi, mode 0
  outb(0x42, static_cast<uint8_t>(count));
  outb(0x42, static_cast<uint8_t>(count >> 8));
  // Restart counting by toggling the gate.
  ctl = inb(0x61);
  outb(0x61, static_cast<uint8_t>(ctl & 0xFE));
  outb(0x61, static_cast<uint8_t>(ctl | 0x01));
  for (uint32_t guard = 0; !(inb(0x61) & 0x20) && guard < 100000000u; ++guard) pause();
}

}  // namespace

Status lapic_init() {
  if (!(cpuid(1).edx & (1u << 9))) return fail(Err::Unsupported);
  uint64_t base = rdmsr(MSR_APIC_BASE);
  wrmsr(MSR_APIC_BASE, base | (1u << 11));  // global enable (xAPIC mode)
  uint64_t va = CAPOS_TRY(paging::map_mmio(base & 0xFFFFF000ull, 4096));
  g_lapic = reinterpret_cast<volatile uint32_t*>(va);
  wr(REG_SVR, 0x100 | VEC_SPURIOUS);
  return {};
}

Status lapic_timer_start(uint32_t hz, uint64_t* lapic_hz, uint64_t* tsc_hz) {
  if (!g_lapic || hz == 0) return fail(Err::InvalidArgument);
  // 1 ms windows: one PIT tick (838 ns) at either end is 0.08% of one;
  // every millisecond costs ~1M instructions of boot (docs/benchmarks.md).
  // A window can only come out too long -- the host preempted the vCPU
  // while it polled the PIT, and the LAPIC count and the TSC both ran on --
  // never too short. One such window on a loaded TCG host made the kernel
  // believe the TSC ran 11-38x faster than it does, so every sleep and
  // time slice took that much longer (qemu.sched_context timed out). So
  // windows are measured until two in a row agree within 0.5%, at most
  // CAL_TRIES, and the shortest is kept: two windows (2 ms, as one 2 ms
  // window cost before) when nothing interferes, as under icount.
  constexpr uint32_t CAL_MS = 1, CAL_TRIES = 8;
  wr(REG_TIMER_DIV, 0x3);  // divide by 16
  wr(REG_LVT_TIMER, 1u << 16);  // masked while calibrating
  uint32_t elapsed = 0xFFFFFFFF, prev = 0;
  uint64_t tsc = 0;
  for (uint32_t i = 0; i < CAL_TRIES; ++i) {
    wr(REG_TIMER_INIT, 0xFFFFFFFF);
    uint64_t t0 = rdtsc();
    pit_wait_ms(CAL_MS);
    uint64_t t1 = rdtsc();
    uint32_t e = 0xFFFFFFFF - rd(REG_TIMER_CUR);
    if (e < elapsed) {
      elapsed = e;
      tsc = t1 - t0;
    }
    uint32_t lo = e < prev ? e : prev, hi = e < prev ? prev : e;
    if (i > 0 && uint64_t{hi - lo} * 200 <= lo) break;
    prev = e;
  }
  wr(REG_TIMER_INIT, 0);
  if (elapsed == 0) return fail(Err::Unsupported);
  uint64_t per_sec = uint64_t{elapsed} * (1000 / CAL_MS);
  *lapic_hz = per_sec * 16;
  *tsc_hz = tsc * (1000 / CAL_MS);
  uint64_t initial = per_sec / hz;
  if (initial == 0 || initial > 0xFFFFFFFF) return fail(Err::OutOfRange);
  g_timer_initial = static_cast<uint32_t>(initial);
  g_counts_per_sec = per_sec;
  lapic_timer_start_this_cpu();
  return {};
}

void lapic_timer_start_this_cpu() {
  wr(REG_TIMER_DIV, 0x3);  // divide by 16, as calibrated
  wr(REG_LVT_TIMER, VEC_TIMER | (1u << 17));  // periodic
  wr(REG_TIMER_INIT, g_timer_initial);
}

void lapic_timer_stop_this_cpu() { wr(REG_TIMER_INIT, 0); }  // a zero initial count stops it

void lapic_timer_oneshot_this_cpu(uint64_t ns) {
  constexpr uint64_t MAX_NS = 60ull * 1000000000ull;  // longer: fires early, the caller re-arms
  if (ns > MAX_NS) ns = MAX_NS;
  uint64_t counts = ns * g_counts_per_sec / 1000000000ull;  // < 2^64: 60e9 * (1e9 / 16)
  if (counts == 0) counts = 1;
  if (counts > 0xFFFFFFFF) counts = 0xFFFFFFFF;
  wr(REG_TIMER_DIV, 0x3);
  wr(REG_LVT_TIMER, VEC_TIMER);  // one-shot (bits 17-18 clear)
  wr(REG_TIMER_INIT, static_cast<uint32_t>(counts));
}

void lapic_send_fixed(uint32_t apic_id, uint8_t vector) {
  IrqGuard irq;  // an interrupt between the ICR writes could send its own IPI in between
  lapic_send_ipi(apic_id, vector);  // fixed delivery, physical destination, edge
}

void lapic_eoi() {
  if (g_lapic) wr(REG_EOI, 0);
}

uint32_t lapic_id() { return g_lapic ? rd(0x20) >> 24 : 0; }

void lapic_send_ipi(uint32_t apic_id, uint32_t icr) {
  constexpr uint32_t REG_ICR_LO = 0x300, REG_ICR_HI = 0x310, DELIVERY_PENDING = 1u << 12;
  wr(REG_ICR_HI, apic_id << 24);
  wr(REG_ICR_LO, icr);
  for (uint32_t guard = 0; (rd(REG_ICR_LO) & DELIVERY_PENDING) && guard < 1000000u; ++guard) pause();
}

void lapic_enable_this_cpu() { wr(REG_SVR, 0x100 | VEC_SPURIOUS); }

}  // namespace capos::arch
