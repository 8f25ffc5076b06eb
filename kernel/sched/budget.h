// CPU budget per period for a SchedulingContext (issue 15,
// docs/scheduling.md). A context with a budget may use at most `budget`
// cycles of CPU in each `period` cycles; the threads bound to it do not run
// again until the period renews. A minted (narrower) context charges its
// parents too, so a child can never use more than any ancestor allows:
// minting ten children does not multiply the parent's share.
//
// Time is TSC cycles, the unit the scheduler charges in. The scheduler
// notices an exhausted budget at its next decision (the tick, a block, a
// yield), so a thread can overrun by up to one tick (more when a tick comes
// late); the overrun is carried as debt into the next periods, which keeps
// the long-run share exact.
// Portable: host model test tests/host/sched/budget_test.cpp.
#pragma once

#include <stdint.h>

#include "lib/abi/sched.h"

namespace capos::sched {

using abi::BUDGET_MAX_DEPTH;
using abi::mint_refusal;

class Budget {
 public:
  // `budget` 0: unlimited (only the parents limit it); else budget <= period.
  Budget(Budget* parent, uint64_t budget, uint64_t period, uint64_t now)
      : parent_(parent), budget_(budget), period_(period), start_(now),
        depth_(parent ? parent->depth_ + 1 : 0) {}

  Budget* parent() const { return parent_; }
  uint32_t depth() const { return depth_; }
  bool limited() const { return budget_ != 0; }
  // True when this context or an ancestor is limited (worth checking).
  bool any_limited() const {
    for (const Budget* b = this; b; b = b->parent_)
      if (b->budget_) return true;
    return false;
  }

  // Charges `cycles` used up to `now` to this context and every ancestor.
  void charge(uint64_t cycles, uint64_t now) {
    for (Budget* b = this; b; b = b->parent_) {
      b->renew(now);
      b->used_ += cycles;
      b->total_ += cycles;
    }
  }

  // True when this context or an ancestor has used its budget for the
  // current period (periods that ended by `now` are renewed first).
  bool exhausted(uint64_t now) {
    for (Budget* b = this; b; b = b->parent_) {
      b->renew(now);
      if (b->budget_ && b->used_ >= b->budget_) return true;
    }
    return false;
  }

  // Counts one refusal to run (diagnostics: SchedulingContext.info).
  void note_throttled() { ++throttled_; }
  uint64_t throttled() const { return throttled_; }
  uint64_t total() const { return total_; }
  uint64_t used() const { return used_; }

 private:
  void renew(uint64_t now) {
    if (!budget_ || now < start_ + period_) return;
    uint64_t k = (now - start_) / period_;
    start_ += k * period_;
    // What was used beyond the budgets of the elapsed periods is debt for
    // the new one, in full: a slice stretched past its tick (a late tick
    // on a loaded host, a long kernel stretch) is paid back, so the
    // long-run share is the budget's. An idle period earns nothing.
    uint64_t allowed = k > used_ / budget_ ? used_ : k * budget_;
    used_ -= allowed;
  }

  Budget* parent_;
  uint64_t budget_, period_;
  uint64_t start_;       // start of the current period
  uint64_t used_ = 0;    // used in the current period (may carry debt)
  uint64_t total_ = 0;   // used in total (diagnostics)
  uint64_t throttled_ = 0;
  uint32_t depth_;
};

}  // namespace capos::sched
