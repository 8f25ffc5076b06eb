// Blocking synchronisation for the threads of one program, over PARK and
// UNPARK: a short bounded spin, then the kernel (no busy waiting).
#pragma once

#include <stdint.h>

namespace capos::rt {

// One word: 0 free, 1 locked, 2 locked and someone may be parked.
class Mutex {
 public:
  void lock();
  bool try_lock();
  void unlock();

 private:
  friend class CondVar;
  void lock_contended();
  uint32_t state_ = 0;
};

class LockGuard {
 public:
  explicit LockGuard(Mutex& m) : m_(m) { m_.lock(); }
  ~LockGuard() { m_.unlock(); }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;

 private:
  Mutex& m_;
};

// A sequence word: waiters park on the value they saw; signal bumps it.
class CondVar {
 public:
  // Unlocks `m`, waits for a signal (spurious wakeups possible: loop on
  // the condition), locks `m` again.
  void wait(Mutex& m);
  void signal();
  void broadcast();

 private:
  uint32_t seq_ = 0;
};

// Runs a function exactly once; later callers wait until it has finished.
class Once {
 public:
  void call(void (*fn)(void*), void* arg);
  bool done() const { return __atomic_load_n(&state_, __ATOMIC_ACQUIRE) == DONE; }

 private:
  static constexpr uint32_t NEW = 0, RUNNING = 1, DONE = 2;
  uint32_t state_ = NEW;
};

}  // namespace capos::rt
