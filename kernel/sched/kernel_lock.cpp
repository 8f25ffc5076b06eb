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

void KernelLock::contended() {
  if (mine()) misuse("acquired while held by this CPU");
  __atomic_add_fetch(&contentions_, 1, __ATOMIC_RELAXED);
  // The holder may be waiting for this CPU to flush its TLB; we may be
  // spinning with interrupts off (an exception from user mode).
  if (!virtual_) {
    uint32_t ticket = __atomic_fetch_add(&next_, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) {
      arch::tlb::service();
      arch::pause();
    }
    return;
  }
  __atomic_add_fetch(&waiting_, 1, __ATOMIC_RELAXED);
  for (;;) {
    // Read until it looks free, then try: the compare-exchange is the only
    // write, so waiters do not bounce the line while the holder works.
    uint32_t s = __atomic_load_n(&serving_, __ATOMIC_RELAXED);
    if (__atomic_load_n(&next_, __ATOMIC_RELAXED) == s &&
        __atomic_compare_exchange_n(&next_, &s, s + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
      break;
    arch::tlb::service();
    arch::pause();
  }
  __atomic_sub_fetch(&waiting_, 1, __ATOMIC_RELAXED);
}

}  // namespace capos
