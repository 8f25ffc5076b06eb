// Per-CPU run queues (issue 15, docs/smp.md). Every CPU has its own
// weighted fair queue (fair_queue.h). A CPU runs the front of its own
// queue unless the front of another queue has fallen behind it by more
// than `slack` of virtual time, or its own queue is empty: then it takes
// that thread (bounded stealing: one look at each other queue's front, at
// most one thread moved per pick). Threads therefore stay on the CPU whose
// caches and TLB hold them, and move only when the weighted shares would
// otherwise drift apart by more than the slack.
//
// All queues share one floor, the global virtual time, so virtual runtimes
// compare across queues and a moved thread needs no renormalising. A
// direct IPC handoff (push_front) runs next on the CPU it was queued on,
// whatever the other fronts hold: the server runs where its caller was.
//
// Portable: host model test tests/host/sched/cpu_queues_test.cpp.
#pragma once

#include <stdint.h>

#include "kernel/sched/fair_queue.h"

namespace capos::sched {

template <class T, uint32_t MaxCpus> class CpuQueues {
 public:
  bool empty() const { return total_ == 0; }
  uint32_t total() const { return total_; }
  uint32_t size(uint32_t cpu) const { return static_cast<uint32_t>(q_[cpu].size()); }
  uint64_t floor() const { return floor_; }

  // `t` becomes runnable on `cpu`'s queue, no lower than the floor.
  void insert(uint32_t cpu, T* t) {
    q_[cpu].raise_floor(floor_);
    q_[cpu].insert(t);
    ++total_;
  }
  // Direct handoff: `t` runs next on `cpu`.
  void push_front(uint32_t cpu, T* t, bool several_cpus = true) {
    q_[cpu].raise_floor(floor_);
    q_[cpu].push_front(t);
    if (several_cpus) handoff_[cpu] = t;
    ++total_;
  }

  // Removes and returns the thread `cpu` runs next (null: nothing queued
  // anywhere). `ncpus` queues are looked at.
  // Inline: the one-CPU case is a plain pop on every context switch.
  [[gnu::always_inline]] T* pick(uint32_t cpu, uint32_t ncpus, uint64_t slack) {
    if (ncpus == 1) {  // one CPU: one queue, no handoff bookkeeping (push_front skips it too)
      T* t = q_[0].pop();
      if (t) --total_;
      return t;
    }
    return pick_among(cpu, ncpus, slack);
  }

 private:
  [[gnu::noinline]] T* pick_among(uint32_t cpu, uint32_t ncpus, uint64_t slack) {
    T* best = q_[cpu].front();
    uint32_t from = cpu;
    if (!(best && best == handoff_[cpu])) {
      for (uint32_t i = 0; i < ncpus; ++i) {
        if (i == cpu) continue;
        T* f = q_[i].front();
        if (f && (!best || f->vruntime + slack < best->vruntime)) {
          best = f;
          from = i;
        }
      }
    }
    if (!best) return nullptr;
    q_[from].pop();
    if (handoff_[from] == best) handoff_[from] = nullptr;
    --total_;
    return best;
  }

 public:

  // Raises the shared floor to the lowest virtual runtime that is queued
  // anywhere or running (`min_running`, ~0 = none), never lowering it.
  void advance_floor(uint32_t ncpus, uint64_t min_running) {
    uint64_t f = min_running;
    if (ncpus == 1) {
      T* t = q_[0].front();
      if (t && t->vruntime < f) f = t->vruntime;
      if (f != ~0ull && f > floor_) floor_ = f;
      return;
    }
    for (uint32_t i = 0; i < ncpus; ++i)
      if (T* t = q_[i].front(); t && t->vruntime < f) f = t->vruntime;
    if (f != ~0ull && f > floor_) floor_ = f;
  }

 private:
  FairQueue<T> q_[MaxCpus];
  T* handoff_[MaxCpus] = {};
  uint32_t total_ = 0;
  uint64_t floor_ = 0;
};

}  // namespace capos::sched
