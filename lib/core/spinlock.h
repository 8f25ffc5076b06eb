// Test-and-test-and-set spinlock. The kernel wraps it with interrupt
// disabling (IrqSpinLock in kernel/arch); this portable core is also used
// by host tests.
#pragma once

namespace capos {

class SpinLock {
 public:
  void lock() {
    while (__atomic_exchange_n(&locked_, true, __ATOMIC_ACQUIRE)) {
      while (__atomic_load_n(&locked_, __ATOMIC_RELAXED)) __builtin_ia32_pause();
    }
  }
  bool try_lock() { return !__atomic_exchange_n(&locked_, true, __ATOMIC_ACQUIRE); }
  void unlock() { __atomic_store_n(&locked_, false, __ATOMIC_RELEASE); }
  bool is_locked() const { return __atomic_load_n(&locked_, __ATOMIC_RELAXED); }

 private:
  bool locked_ = false;
};

template <class Lock> class LockGuard {
 public:
  explicit LockGuard(Lock& l) : lock_(l) { lock_.lock(); }
  ~LockGuard() { lock_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Lock& lock_;
};

}  // namespace capos
