#include "kernel/sched/deferred.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu_field.h"

namespace capos::deferred {

uint32_t g_pending = 0;

namespace {
Handler g_handlers[WORK_KINDS] = {};
}  // namespace

void set_handler(Work w, Handler h) {
  for (uint32_t i = 0; i < WORK_KINDS; ++i)
    if (w == (1u << i)) g_handlers[i] = h;
}

void raise(uint32_t work) {
  __atomic_fetch_or(&g_pending, work, __ATOMIC_RELEASE);
  // This CPU took the interrupt: if it is idle, it runs the work itself
  // (other idle CPUs need not wake for it; scheduler.cpp idle_loop).
  arch::pcpu::write<uint8_t, arch::pcpu::RAISED_WORK>(1);
}

void run() {
  if (arch::interrupts_enabled()) __builtin_trap();  // caller contract: IRQs off
  while (pending()) {  // a plain load first: the common case (no work) costs no locked exchange
    uint32_t work = __atomic_exchange_n(&g_pending, 0, __ATOMIC_ACQ_REL);
    for (uint32_t i = 0; i < WORK_KINDS; ++i)
      if ((work & (1u << i)) && g_handlers[i]) g_handlers[i]();
  }
  arch::pcpu::write<uint8_t, arch::pcpu::RAISED_WORK>(0);  // everything recorded here ran
}

}  // namespace capos::deferred
