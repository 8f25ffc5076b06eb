// The seam between the kernel and its test image. Two images link the same
// kernel objects: the production capos.elf links test_entry_none.cpp (no
// self tests, no fault triggers, no bare-ELF init), capos-test.elf (and the
// measurement kernel) link kernel/selftest_entry.cpp, which adds the boot
// self tests selected by `capos.test=` / `capos.bench=1` and the bare-ELF
// test program path (docs/testing.md).
#pragma once

#include "kernel/boot/bootinfo.h"
#include "kernel/sched/kernel_lock.h"
#include "lib/core/span.h"

namespace capos::test_entry {

// Runs the self test the command line selects (never returning); returns
// when none is selected. The production image only reports a selector it
// ignores.
void run_selected(const BootInfo& bi) CAPOS_REQUIRES(g_kernel_lock);

// A boot module that is a bare static ELF: the test image starts it as
// init with Console and Timer and answers true; the production image
// answers false (the module must then be a boot package).
bool start_bare_program(Bytes image) CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::test_entry
