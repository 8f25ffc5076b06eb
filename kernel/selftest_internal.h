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

}  // namespace capos::selftest
