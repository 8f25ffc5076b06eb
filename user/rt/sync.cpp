#include "user/rt/sync.h"

#include "user/rt/park.h"

namespace capos::rt {

namespace {
constexpr int SPINS = 64;  // bounded: a holder on another CPU often lets go this soon

uint32_t cas(uint32_t* w, uint32_t expect, uint32_t desired) {
  __atomic_compare_exchange_n(w, &expect, desired, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
  return expect;  // the value seen
}
}  // namespace

bool Mutex::try_lock() { return cas(&state_, 0, 1) == 0; }

void Mutex::lock() {
  if (cas(&state_, 0, 1) == 0) return;
  for (int i = 0; i < SPINS; ++i) {
    __builtin_ia32_pause();
    if (__atomic_load_n(&state_, __ATOMIC_RELAXED) == 0 && cas(&state_, 0, 1) == 0) return;
  }
  lock_contended();
}

// Marks the lock contended (2) and parks until it was free when taken.
void Mutex::lock_contended() {
  while (__atomic_exchange_n(&state_, 2, __ATOMIC_ACQUIRE) != 0) {
    // ValueChanged (the holder let go meanwhile) and wakeups both retry.
    (void)park(&state_, 2);
  }
}

void Mutex::unlock() {
  if (__atomic_exchange_n(&state_, 0, __ATOMIC_RELEASE) == 2) (void)unpark(&state_, 1);
}

void CondVar::wait(Mutex& m) {
  uint32_t seen = __atomic_load_n(&seq_, __ATOMIC_ACQUIRE);
  m.unlock();
  (void)park(&seq_, seen);  // ValueChanged: a signal came in between; fine
  m.lock_contended();       // others may be parked on the mutex after a broadcast
}

void CondVar::signal() {
  __atomic_add_fetch(&seq_, 1, __ATOMIC_RELEASE);
  (void)unpark(&seq_, 1);
}

void CondVar::broadcast() {
  __atomic_add_fetch(&seq_, 1, __ATOMIC_RELEASE);
  (void)unpark(&seq_, UNPARK_ALL);
}

void Once::call(void (*fn)(void*), void* arg) {
  if (done()) return;
  if (cas(&state_, NEW, RUNNING) == NEW) {
    fn(arg);
    __atomic_store_n(&state_, DONE, __ATOMIC_RELEASE);
    (void)unpark(&state_, UNPARK_ALL);
    return;
  }
  while (__atomic_load_n(&state_, __ATOMIC_ACQUIRE) != DONE) (void)park(&state_, RUNNING);
}

}  // namespace capos::rt
