// Shared helpers of the boot self tests.
#pragma once

#include "lib/core/span.h"

namespace capos::selftest {

// Yields until no user process is alive and the reaper has run.
void settle_processes();
[[noreturn]] void run_ipc(Bytes module);
[[noreturn]] void run_hostile(Bytes module);
[[noreturn]] void run_bench(Bytes module);
[[noreturn]] void run_memory_caps(Bytes module);
// Issue 22: one test per finding (issue22_*) and the hostile class.
[[noreturn]] void run_issue22(const char* name, Bytes module);
[[noreturn]] void run_liveness(const char* name, Bytes module);
// Issue 14: threads, TLS, PARK/UNPARK (kernel/selftest_threads.cpp).
[[noreturn]] void run_threads(Bytes module);
[[noreturn]] void run_tlb_shootdown(Bytes module);
// Issue 15: IPC, PARK, map/unmap and spawn/kill on every CPU (kernel/selftest_smp_stress.cpp).
[[noreturn]] void run_smp_stress(Bytes module);
// Issue 15: idle APs take no ticks (kernel/selftest_threads.cpp).
[[noreturn]] void run_tickless(Bytes module);

}  // namespace capos::selftest
