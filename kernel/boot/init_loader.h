// Starts the first user process from the boot module.
#pragma once

#include "kernel/sched/kernel_lock.h"

#include "kernel/boot/bootinfo.h"
#include "kernel/cap/object.h"
#include "schema/manifest.capnp.capos.h"

namespace capos {

class Process;

// The boot module is the boot package (SystemManifest + binaries): the
// kernel validates its boundary and starts initConfig.init with exactly the
// manifest's init caps. Only the test image also accepts a bare static ELF
// (a single test program, kernel/boot/test_entry.h). Exactly one module is
// required.
void start_init(const BootInfo& bi) CAPOS_REQUIRES(g_kernel_lock);

// A fresh kernel capability of `kind` for `receiver` (its interface id in
// *iface), or null when this kernel has none.
Ref<KObject> make_kernel_cap(schema::wire::KernelCapKind kind, Process& receiver, uint64_t* iface);

}  // namespace capos
