// Starts the first user process from the boot module.
#pragma once

#include "kernel/sched/kernel_lock.h"

#include "kernel/boot/bootinfo.h"

namespace capos {

// The boot module is the boot package (SystemManifest + binaries): the
// kernel validates its boundary and starts initConfig.init with exactly the
// manifest's init caps. A module that is a bare static ELF is a single test
// program, started as init with Console and Timer. No module: idle.
void start_init(const BootInfo& bi) CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos
