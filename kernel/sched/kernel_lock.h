// The big kernel lock: held by whichever thread runs kernel code on
// behalf of a process or as a kernel thread; interrupt handlers never
// take it and never touch what it guards (docs/concurrency.md).
//
// Taken at syscall entry, on every exception or interrupt that arrives
// from user mode (around the handler and the deferred-work point), by the
// idle loop around deferred work, and by the boot path; released on the
// way back to ring 3 and before the idle halt. A context switch happens
// only while it is held and hands it to the thread switched to, so a
// thread resuming after switch_context holds it. On one CPU it is never
// contended: acquiring it while it is held is a kernel bug and panics.
// SMP (issue 15) splits it into finer locks, keeping the annotations.
#pragma once

#include "lib/core/thread_safety.h"

namespace capos {

class CAPOS_CAPABILITY("kernel lock") KernelLock {
 public:
  // Inline: every syscall takes and drops it.
  void acquire() CAPOS_ACQUIRE() {
    if (__atomic_exchange_n(&held_, true, __ATOMIC_ACQUIRE)) misuse("acquired while held (one CPU)");
  }
  void release() CAPOS_RELEASE() {
    if (!__atomic_exchange_n(&held_, false, __ATOMIC_RELEASE)) misuse("released while not held");
  }
  // Tells the analysis the lock is held where it cannot see it taken (a
  // kernel thread's entry function, code right after a context switch);
  // panics if it is not.
  void assert_held() const CAPOS_ASSERT_CAPABILITY(this);
  bool held() const { return __atomic_load_n(&held_, __ATOMIC_ACQUIRE); }

 private:
  [[noreturn]] static void misuse(const char* what);
  bool held_ = false;
};

extern KernelLock g_kernel_lock;

}  // namespace capos
