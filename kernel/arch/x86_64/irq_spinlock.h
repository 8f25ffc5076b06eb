// IrqSpinLock: a spinlock taken with interrupts disabled on this CPU, so
// an interrupt handler that takes the same lock can never deadlock
// against the code it interrupted. The interrupt flag is restored on
// unlock. A thread-safety capability: data it guards is declared
// CAPOS_GUARDED_BY(lock), and touching it unlocked does not compile.
#pragma once

#include "kernel/arch/x86_64/cpu.h"
#include "lib/core/spinlock.h"

namespace capos::arch {

class CAPOS_CAPABILITY("irq spinlock") IrqSpinLock {
 public:
  // The primitive itself: the analysis cannot see that holding lock_
  // means holding *this.
  void lock() CAPOS_ACQUIRE() CAPOS_NO_THREAD_SAFETY_ANALYSIS {
    bool was = interrupts_enabled();
    cli();
    lock_.lock();
    saved_if_ = was;
  }
  void unlock() CAPOS_RELEASE() CAPOS_NO_THREAD_SAFETY_ANALYSIS {
    bool was = saved_if_;
    lock_.unlock();
    if (was) sti();
  }
  bool is_locked() const { return lock_.is_locked(); }

 private:
  SpinLock lock_;
  bool saved_if_ = false;  // written only by the holder
};

using IrqSpinLockGuard = LockGuard<IrqSpinLock>;

}  // namespace capos::arch
