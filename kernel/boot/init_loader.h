// Starts the first user process from the boot module.
#pragma once

#include "kernel/boot/bootinfo.h"

namespace capos {

// Until the boot package (SystemManifest) lands, a boot module that is a
// static ELF is started as `init` with the boot capabilities (Console,
// Timer). No module: the kernel idles.
void start_init(const BootInfo& bi);

}  // namespace capos
