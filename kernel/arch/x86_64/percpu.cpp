#include "kernel/arch/x86_64/percpu.h"

#include <stddef.h>

#include "kernel/arch/x86_64/cpu.h"

namespace capos::arch {

static_assert(offsetof(PerCpu, user_rsp_scratch) == 0 && offsetof(PerCpu, kernel_rsp) == 8);

namespace detail {
PerCpu g_cpus[MAX_CPUS];
uint32_t g_cpu_count = 1;  // the boot CPU; APs add themselves (atomic)
}  // namespace detail
using detail::g_cpus;

void percpu_init() {
  PerCpu& c = g_cpus[0];
  c.self = &c;
  c.cpu_id = 0;
  c.online = 1;
  // Kernel runs with GS = PerCpu; SWAPGS on user entry/exit exchanges it
  // with the user's (zero) GS base kept in KERNEL_GS_BASE.
  wrmsr(MSR_GS_BASE, reinterpret_cast<uint64_t>(&c));
  wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void percpu_arrived() { __atomic_add_fetch(&detail::g_cpu_count, 1, __ATOMIC_RELEASE); }

}  // namespace capos::arch
