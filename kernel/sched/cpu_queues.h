// Per-CPU run queues (issue 15, docs/concurrency.md "Scheduler"). Every CPU
// has its own weighted fair queue (fair_queue.h). A CPU runs the front of
// its own queue unless the front of another queue has fallen behind it by
// more than `slack` of virtual time, or its own queue is empty: then it
// takes that thread (bounded stealing: one look at each other queue's
// front, at most one thread moved per pick). Threads therefore stay on the
// CPU whose caches and TLB hold them, and move only when the weighted
// shares would otherwise drift apart by more than the slack.
//
// All queues share one floor, the global virtual time (kept as queue 0's
// floor), so virtual runtimes compare across queues and a moved thread
// needs no renormalising. A direct IPC handoff (push_front) runs next on
// the CPU it was queued on, whatever the other fronts hold, and another CPU
// takes it only when its own queue is empty: the server runs where its
// caller was (wake-affine).
//
// One CPU online: the `_one` operations use queue 0 exactly as a lone
// FairQueue (no totals over queues, no handoff marks, no floor copies),
// so -smp 1 pays nothing for the per-CPU layout. The number of CPUs is
// fixed before the scheduler starts; the scheduler picks one set of
// operations per call (scheduler.cpp) and never mixes them.
//
// Portable: host model test tests/host/sched/cpu_queues_test.cpp.
#pragma once

#include <stdint.h>

#include "kernel/sched/fair_queue.h"

namespace capos::sched {

template <class T, uint32_t MaxCpus> class CpuQueues {
 public:
  // ---- One CPU online -------------------------------------------------
  bool empty_one() const { return q_[0].empty(); }
  uint32_t size_one() const { return static_cast<uint32_t>(q_[0].size()); }
  void insert_one(T* t) { q_[0].insert(t); }
  void push_front_one(T* t) { q_[0].push_front(t); }
  T* pop_one() { return q_[0].pop(); }
  // A thread run directly, without passing a queue (the endpoint direct
  // switch): no lower than the shared floor, as push_front would place it.
  // Queue 0's floor is the shared one, so this is also the several-CPU form.
  void raise_to_floor(T* t) const { q_[0].raise_to_floor(t); }
  // `running`: the vruntime of the thread about to run (there is one, so
  // unlike FairQueue::advance_floor_to no "nothing at all" case).
  void advance_floor_one(uint64_t running) { q_[0].raise_floor(q_[0].front_vruntime_or(running)); }
  // The endpoint direct switch on one CPU: `t` runs next without passing
  // the queue. raise_to_floor then advance_floor_one(t->vruntime), with
  // the floor read once.
  void place_running_one(T* t) {
    uint64_t floor = q_[0].floor();
    uint64_t v = t->vruntime;
    if (v < floor) t->vruntime = v = floor;
    uint64_t f = q_[0].front_vruntime_or(v);
    if (f > floor) q_[0].raise_floor(f);
  }

  // ---- Several CPUs online (`ncpus` queues) ---------------------------
  bool empty(uint32_t ncpus) const {
    for (uint32_t i = 0; i < ncpus; ++i)
      if (!q_[i].empty()) return false;
    return true;
  }
  uint32_t total(uint32_t ncpus) const {
    uint32_t n = 0;
    for (uint32_t i = 0; i < ncpus; ++i) n += static_cast<uint32_t>(q_[i].size());
    return n;
  }
  uint32_t size(uint32_t cpu) const { return static_cast<uint32_t>(q_[cpu].size()); }
  uint64_t floor() const { return q_[0].floor(); }
  T* front(uint32_t cpu) const { return q_[cpu].front(); }
  T* next(uint32_t cpu, T* t) const { return q_[cpu].next(t); }
  T* handoff(uint32_t cpu) const { return handoff_[cpu]; }

  // `t` becomes runnable on `cpu`'s queue, no lower than the shared floor.
  void insert(uint32_t cpu, T* t) {
    q_[cpu].raise_floor(q_[0].floor());
    q_[cpu].insert(t);
  }
  // Direct handoff: `t` runs next on `cpu` (wake-affine).
  void push_front(uint32_t cpu, T* t) {
    q_[cpu].raise_floor(q_[0].floor());
    q_[cpu].push_front(t);
    handoff_[cpu] = t;
  }

  // Removes and returns the thread `cpu` runs next (null: nothing queued
  // in the first `ncpus` queues).
  T* pick(uint32_t cpu, uint32_t ncpus, uint64_t slack) {
    T* best = q_[cpu].front();
    uint32_t from = cpu;
    if (!(best && best == handoff_[cpu])) {
      for (uint32_t i = 0; i < ncpus; ++i) {
        if (i == cpu) continue;
        T* f = q_[i].front();
        // Another CPU's handoff is taken only by a CPU with nothing of its own.
        if (f && (!best || (f != handoff_[i] && f->vruntime + slack < best->vruntime))) {
          best = f;
          from = i;
        }
      }
    }
    if (!best) return nullptr;
    q_[from].pop();
    if (handoff_[from] == best) handoff_[from] = nullptr;
    return best;
  }

  // Raises the shared floor to the lowest virtual runtime that is queued
  // anywhere or running (`min_running`, ~0 = none), never lowering it.
  void advance_floor(uint32_t ncpus, uint64_t min_running) {
    uint64_t f = min_running;
    for (uint32_t i = 0; i < ncpus; ++i)
      if (T* t = q_[i].front(); t && t->vruntime < f) f = t->vruntime;
    if (f != ~0ull) q_[0].raise_floor(f);
  }

 private:
  FairQueue<T> q_[MaxCpus];
  T* handoff_[MaxCpus] = {};
};

}  // namespace capos::sched
