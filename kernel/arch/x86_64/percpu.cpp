#include "kernel/arch/x86_64/percpu.h"

#include "kernel/arch/x86_64/cpu.h"

namespace capos::arch {

namespace {
PerCpu g_cpu0;
}

void percpu_init() {
  g_cpu0.self = &g_cpu0;
  g_cpu0.cpu_id = 0;
  // Kernel runs with GS = PerCpu; SWAPGS on user entry/exit exchanges it
  // with the user's (zero) GS base kept in KERNEL_GS_BASE.
  wrmsr(MSR_GS_BASE, reinterpret_cast<uint64_t>(&g_cpu0));
  wrmsr(MSR_KERNEL_GS_BASE, 0);
}

PerCpu& this_cpu() {
  PerCpu* p;
  asm volatile("movq %%gs:16, %0" : "=r"(p));
  return *p;
}

}  // namespace capos::arch
