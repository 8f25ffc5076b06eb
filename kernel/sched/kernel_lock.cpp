#include "kernel/sched/kernel_lock.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/tlb.h"
#include "kernel/debug/panic.h"

namespace capos {

KernelLock g_kernel_lock;

void KernelLock::misuse(const char* what) { panic("kernel lock: {}", what); }

void KernelLock::assert_held() const {
  if (!held()) panic("kernel lock: required but not held by this CPU");
}

void KernelLock::contended(uint32_t ticket) {
  if (mine()) misuse("acquired while held by this CPU");
  __atomic_add_fetch(&contentions_, 1, __ATOMIC_RELAXED);
  while (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) {
    // The holder may be waiting for this CPU to flush its TLB; we may be
    // spinning with interrupts off (an exception from user mode).
    arch::tlb::service();
    arch::pause();
  }
}

void KernelLock::contended_virtual() {
  if (mine()) misuse("acquired while held by this CPU");
  __atomic_add_fetch(&contentions_, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&waiting_, 1, __ATOMIC_RELAXED);
  do {
    // Read until it looks free, then try: the exchange is the only write,
    // so waiters do not bounce the line while the holder works.
    while (__atomic_load_n(&taken_, __ATOMIC_RELAXED)) {
      arch::tlb::service();
      arch::pause();
    }
  } while (__atomic_exchange_n(&taken_, 1, __ATOMIC_ACQUIRE));
  __atomic_sub_fetch(&waiting_, 1, __ATOMIC_RELAXED);
}

}  // namespace capos
