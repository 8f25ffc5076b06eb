// Boot-time self tests selected with `capos.test=<name>` on the kernel
// command line (boot configuration is trusted input). Used by the QEMU
// tests; each ends QEMU through isa-debug-exit.
#pragma once

#include "kernel/sched/kernel_lock.h"

#include "lib/core/span.h"

namespace capos::selftest {

// `module` is the boot module's bytes (empty if none).
[[noreturn]] void run(const char* name, Bytes module) CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::selftest
