// The big kernel lock: held by whichever thread runs kernel code on
// behalf of a process or as a kernel thread; interrupt handlers never
// take it and never touch what it guards (docs/concurrency.md).
//
// Taken at syscall entry, on every exception or interrupt that arrives
// from user mode (around the handler and the deferred-work point), by the
// idle loop around deferred work, and by the boot path; released on the
// way back to ring 3 and before the idle halt. A context switch happens
// only while it is held and hands it to the thread switched to, so a
// thread resuming after the switch (arch::switch_stacks) holds it.
//
// It is owned by a CPU, not a thread (the switch hands it over on the same
// CPU). On real hardware it is a ticket lock, so CPUs get it in the order
// they asked: a CPU that drops it and takes it again at once (a polling
// kernel thread, the idle loop) cannot starve another. Under a hypervisor
// it is a test-and-set lock instead (set_virtual, at boot): the host may
// deschedule a virtual CPU at any time, and a fair lock then makes every
// waiter behind a descheduled one wait for the host to run it again --
// with 8 vCPUs on 2 host cores that convoy stalled boots for minutes.
// Any running waiter may take a free test-and-set lock (Linux makes the
// same choice: virt_spin_lock). A CPU that waits spins, and while it
// spins it answers TLB shootdown requests, because the holder may be
// waiting for exactly that (docs/smp.md). Taking it twice on one CPU or
// releasing it unheld panics.
// Issue 15 splits it into finer locks where the scaling rows show
// contention, keeping the annotations.
#pragma once

#include <stdint.h>

#include "lib/core/thread_safety.h"
#if !__STDC_HOSTED__
#include "kernel/arch/x86_64/percpu_field.h"
#endif

namespace capos {

class CAPOS_CAPABILITY("kernel lock") KernelLock {
 public:
  // Inline: every syscall takes and drops it. Whether this CPU holds it is
  // a byte in the CPU's own record (PerCpu::holds_kernel_lock), so the
  // checks cost no shared cache line.
  // Both forms share the fast path: the lock is free exactly when no
  // ticket is out (next_ == serving_), and one compare-exchange takes the
  // next ticket only then. Only a CPU that finds it taken looks at the
  // form (contended): on hardware it queues with a ticket of its own, and
  // because a queued ticket makes next_ != serving_, nobody passes it on
  // the fast path; under a hypervisor it retries the compare-exchange.
  void acquire() CAPOS_ACQUIRE() {
    uint32_t s = __atomic_load_n(&serving_, __ATOMIC_RELAXED);
    if (!__atomic_compare_exchange_n(&next_, &s, s + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) contended();
    set_mine(true);
  }
  void release() CAPOS_RELEASE() {
    if (!mine()) misuse("released while not held by this CPU");
    set_mine(false);
    // Only the holder writes it, so a plain add is the release store:
    // its store is one aligned write other CPUs see whole, and x86 keeps
    // it after every earlier load and store (the compiler is held back by
    // the clobber). One instruction instead of a load, add and store.
    asm volatile("addl $1, %0" : "+m"(serving_) : : "memory");
  }
  // Switches to the test-and-set form; only at boot, before any CPU has
  // taken the lock.
  void set_virtual() { virtual_ = true; }
  bool is_virtual() const { return virtual_; }
  // Tells the analysis the lock is held where it cannot see it taken (a
  // kernel thread's entry function, code right after a context switch);
  // panics if this CPU does not hold it.
  void assert_held() const CAPOS_ASSERT_CAPABILITY(this);
  // Another CPU is waiting for it (the holder may let it go first).
  bool has_waiters() const {
    return __atomic_load_n(&next_, __ATOMIC_RELAXED) - __atomic_load_n(&serving_, __ATOMIC_RELAXED) > 1 ||
           __atomic_load_n(&waiting_, __ATOMIC_RELAXED) != 0;
  }
  // Held by this CPU.
  bool held() const { return mine(); }
  // Times another CPU had to wait for it (the contention the SMP scaling
  // rows look at).
  uint64_t contentions() const { return __atomic_load_n(&contentions_, __ATOMIC_RELAXED); }

 private:
#if __STDC_HOSTED__
  bool mine() const { return host_held_; }  // host tests: one thread
  void set_mine(bool v) { host_held_ = v; }
  bool host_held_ = false;
#else
  static bool mine() { return arch::pcpu::byte_set<arch::pcpu::HOLDS_KERNEL_LOCK>(); }
  static void set_mine(bool v) { arch::pcpu::write<uint8_t, arch::pcpu::HOLDS_KERNEL_LOCK>(v); }
#endif
  void contended() CAPOS_NO_THREAD_SAFETY_ANALYSIS;
  [[noreturn]] static void misuse(const char* what);
  bool virtual_ = false;  // test-and-set form (written once at boot)
  uint32_t next_ = 0;     // the next ticket to hand out
  uint32_t serving_ = 0;  // the ticket that holds the lock (free: == next_)
  uint32_t waiting_ = 0;  // test-and-set form: CPUs spinning for it
  uint64_t contentions_ = 0;
};

extern KernelLock g_kernel_lock;

}  // namespace capos
