// Test-and-test-and-set spinlock. The kernel wraps it with interrupt
// disabling (arch::IrqSpinLock); this portable core is also used by host
// tests. Both are thread-safety capabilities (lib/core/thread_safety.h).
#pragma once

#include "lib/core/thread_safety.h"

namespace capos {

class CAPOS_CAPABILITY("spinlock") SpinLock {
 public:
  void lock() CAPOS_ACQUIRE() {
    while (__atomic_exchange_n(&locked_, true, __ATOMIC_ACQUIRE)) {
      while (__atomic_load_n(&locked_, __ATOMIC_RELAXED)) __builtin_ia32_pause();
    }
  }
  void unlock() CAPOS_RELEASE() { __atomic_store_n(&locked_, false, __ATOMIC_RELEASE); }
  bool is_locked() const { return __atomic_load_n(&locked_, __ATOMIC_RELAXED); }

 private:
  bool locked_ = false;
};

template <class Lock> class CAPOS_SCOPED_CAPABILITY LockGuard {
 public:
  explicit LockGuard(Lock& l) CAPOS_ACQUIRE(l) : lock_(l) { lock_.lock(); }
  ~LockGuard() CAPOS_RELEASE() { lock_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& lock_;
};

}  // namespace capos
