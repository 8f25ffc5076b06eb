// The parked threads of one process (CAP_OP_PARK), keyed by the user
// address of their park word. Portable (host model test:
// tests/host/proc/park_table_test.cpp): it only orders and selects
// waiters; the kernel side (kernel/proc/park_space.cpp) checks the word,
// charges the record and posts the completions.
//
// `W` is a waiter record with `ListNode ep_node`, `uint64_t owner_data`
// (the park word's address), `uint64_t deadline` (monotonic ns, ~0 =
// none) and `uint8_t ring_slot` (the parked thread). Waiters on one word
// wake in FIFO order; the table is a fixed array of buckets so a wake
// looks only at the waiters whose address hashes alike.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/intrusive_list.h"

namespace capos {

template <class W> class ParkTable {
 public:
  static constexpr uint32_t BUCKETS = 16;

  void park(W* w) {
    bucket(w->owner_data).push_back(w);
    ++count_;
  }

  // Takes out one parked waiter (its thread or process is leaving).
  void remove(W* w) { take(bucket(w->owner_data), w); }

  // Removes up to `max` waiters on `addr` (oldest first) and hands each
  // to `on_wake`; returns how many.
  template <class F> uint32_t wake(uint64_t addr, uint32_t max, F&& on_wake) {
    List& b = bucket(addr);
    uint32_t n = 0;
    for (W* w = b.front(); w && n < max;) {
      W* next = b.next(w);
      if (w->owner_data == addr) {
        take(b, w);
        on_wake(w);
        ++n;
      }
      w = next;
    }
    return n;
  }

  // Every waiter whose deadline is at or before `now`.
  template <class F> void expire(uint64_t now, F&& on_timeout) {
    select([&](const W* w) { return w->deadline != ~0ull && now >= w->deadline; }, on_timeout);
  }
  // Every waiter whose word lies in [va, va + len) (the page was unmapped).
  template <class F> void cancel_range(uint64_t va, uint64_t len, F&& on_cancel) {
    select([&](const W* w) { return w->owner_data >= va && w->owner_data - va < len; }, on_cancel);
  }
  // Every waiter of one thread (it is exiting).
  template <class F> void cancel_slot(uint32_t slot, F&& on_cancel) {
    select([&](const W* w) { return w->ring_slot == slot; }, on_cancel);
  }
  // Every waiter (the process is exiting).
  template <class F> void cancel_all(F&& on_cancel) {
    select([](const W*) { return true; }, on_cancel);
  }

  // Earliest deadline of any waiter (~0 if none has one).
  uint64_t earliest_deadline() const {
    uint64_t best = ~0ull;
    for (const List& b : buckets_)
      for (W* w = b.front(); w; w = b.next(w))
        if (w->deadline < best) best = w->deadline;
    return best;
  }
  uint32_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

 private:
  using List = IntrusiveList<W, &W::ep_node>;
  // Words are 4-byte aligned: drop those bits, fold in the page so
  // neighbouring words and pages spread.
  List& bucket(uint64_t addr) { return buckets_[((addr >> 2) ^ (addr >> 12)) % BUCKETS]; }
  void take(List& b, W* w) {
    b.remove(w);
    --count_;
  }
  template <class P, class F> void select(P&& pred, F&& on_match) {
    for (List& b : buckets_) {
      for (W* w = b.front(); w;) {
        W* next = b.next(w);
        if (pred(w)) {
          take(b, w);
          on_match(w);
        }
        w = next;
      }
    }
  }

  List buckets_[BUCKETS];
  uint32_t count_ = 0;
};

}  // namespace capos
