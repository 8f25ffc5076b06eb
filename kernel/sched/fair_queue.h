// Weighted fair queueing for the run queue (issue 15, docs/scheduling.md).
// Every thread carries a virtual runtime: the CPU time it used divided by
// its weight. The queue is ordered by it (ascending; equal values keep
// arrival order), so the thread that has had the least weighted CPU runs
// next; a weight-4 thread next to a weight-1 thread gets 4/5 of the CPU.
// A thread that wakes starts at no less than the queue's floor, so sleeping
// earns no credit. Portable: host model test tests/host/sched.
//
// `T` has `ListNode sched_node`, `uint64_t vruntime` and `uint32_t vr_scale`
// (WEIGHT_SCALE / weight).
#pragma once

#include <stdint.h>

#include "lib/core/intrusive_list.h"

namespace capos::sched {

constexpr uint32_t WEIGHT_MIN = 1, WEIGHT_MAX = 1024, WEIGHT_DEFAULT = 1;
constexpr uint32_t WEIGHT_SCALE = 1u << 20;  // vr_scale = WEIGHT_SCALE / weight (exact for powers of two)

constexpr uint32_t scale_for(uint32_t weight) {
  return WEIGHT_SCALE / (weight < WEIGHT_MIN ? WEIGHT_MIN : weight > WEIGHT_MAX ? WEIGHT_MAX : weight);
}

template <class T> class FairQueue {
 public:
  bool empty() const { return list_.empty(); }
  size_t size() const { return list_.size(); }
  T* front() const { return list_.front(); }
  // The front's vruntime if it is lower than `v`, else `v`.
  uint64_t front_vruntime_or(uint64_t v) const {
    if (list_.empty()) return v;
    uint64_t f = list_.front()->vruntime;
    return f < v ? f : v;
  }
  T* next(T* t) const { return list_.next(t); }

  // Charges `cycles` of CPU to `t`.
  static void charge(T* t, uint64_t cycles) { t->vruntime += cycles * t->vr_scale; }

  // The lowest virtual runtime a runnable thread may have: no thread is
  // placed below it (a long sleeper would otherwise monopolise the CPU).
  uint64_t floor() const { return floor_; }
  // `running` (may be null) is the thread on the CPU: it counts as runnable.
  void advance_floor(const T* running) { advance_floor_to(running ? running->vruntime : ~0ull); }
  // On several CPUs every running thread counts: `min_running` is the
  // lowest vruntime among them (~0 = none). Raising the floor past a thread
  // that runs elsewhere would charge it for time it never used.
  void advance_floor_to(uint64_t min_running) {
    uint64_t f = list_.empty() ? ~0ull : list_.front()->vruntime;
    if (min_running < f) f = min_running;
    if (f != ~0ull && f > floor_) floor_ = f;
  }

  // Raises the floor to at least `f` (per-CPU queues share one floor;
  // cpu_queues.h).
  void raise_floor(uint64_t f) {
    if (f > floor_) floor_ = f;
  }

  // A thread becoming runnable: ordered by vruntime (raised to the floor).
  void insert(T* t) {
    if (t->vruntime < floor_) t->vruntime = floor_;
    T* pos = list_.front();
    while (pos && pos->vruntime <= t->vruntime) pos = list_.next(pos);
    if (pos) list_.insert_before_item(pos, t); else list_.push_back(t);
  }
  // Direct handoff (endpoint IPC): runs next whatever its vruntime; it
  // keeps its own, so the time it then uses is charged as usual.
  void push_front(T* t) {
    raise_to_floor(t);
    list_.push_front(t);
  }
  // A thread run directly without passing the queue (the endpoint direct
  // switch): placed as push_front would place it.
  void raise_to_floor(T* t) const {
    if (t->vruntime < floor_) t->vruntime = floor_;
  }
  T* pop() { return list_.pop_front(); }
  void remove(T* t) { list_.remove(t); }

 private:
  IntrusiveList<T, &T::sched_node> list_;
  uint64_t floor_ = 0;
};

}  // namespace capos::sched
