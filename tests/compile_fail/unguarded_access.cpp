// Compile-fail probe for the thread-safety rule (docs/concurrency.md):
// data guarded by a kernel lock cannot be touched without holding it.
// Built twice by tests/compile_fail/check.py: with -DCAPOS_PROBE_CONTROL
// it must compile (the probe itself is sound), without it the unguarded
// access must be rejected by -Wthread-safety.
#include "kernel/arch/x86_64/irq_spinlock.h"

namespace {

capos::arch::IrqSpinLock g_lock;
int g_counter CAPOS_GUARDED_BY(g_lock) = 0;

}  // namespace

int probe() {
#ifdef CAPOS_PROBE_CONTROL
  capos::arch::IrqSpinLockGuard guard(g_lock);
#endif
  return ++g_counter;
}
