// ResourceLedger: per-process quota accounting with reserve -> commit ->
// rollback. Enforcement happens at reservation time, before any side
// effect; a Reservation that is neither committed nor explicitly rolled
// back rolls back when destroyed, so error paths cannot leak charges.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos {

enum class Res : uint8_t {
  CapSlots,
  OutstandingCalls,
  FramePages,     // frames held (anonymous pages, MemoryObjects, images, ring)
  VirtualPages,   // address-space reservations
  Threads,
  PageTables,     // page-table frames of the process's address space
  KernelBytes,    // kernel heap held on the process's behalf (docs/memory.md)
  Count,
};
constexpr const char* res_name(Res r) {
  switch (r) {
    case Res::CapSlots: return "cap-slots";
    case Res::OutstandingCalls: return "outstanding-calls";
    case Res::FramePages: return "frame-pages";
    case Res::VirtualPages: return "virtual-pages";
    case Res::Threads: return "threads";
    case Res::PageTables: return "page-tables";
    case Res::KernelBytes: return "kernel-bytes";
    case Res::Count: break;
  }
  return "?";
}

class ResourceLedger;

class [[nodiscard]] Reservation {
 public:
  Reservation() = default;
  Reservation(ResourceLedger* l, Res r, uint64_t n) : ledger_(l), res_(r), amount_(n) {}
  Reservation(const Reservation&) = delete;
  Reservation& operator=(const Reservation&) = delete;
  Reservation(Reservation&& o) : ledger_(o.ledger_), res_(o.res_), amount_(o.amount_) { o.ledger_ = nullptr; }
  Reservation& operator=(Reservation&& o);
  ~Reservation() { rollback(); }

  void commit();  // the reserved amount becomes used
  // The reserved amount is returned. The test is inline: most
  // Reservations are committed or empty when destroyed (every call
  // record's transfer holds one).
  void rollback() {
    if (ledger_) give_back();
  }
  uint64_t amount() const { return ledger_ ? amount_ : 0; }

 private:
  void give_back();
  ResourceLedger* ledger_ = nullptr;
  Res res_ = Res::CapSlots;
  uint64_t amount_ = 0;
};

class ResourceLedger {
 public:
  static constexpr int N = static_cast<int>(Res::Count);
  struct Limits {
    uint64_t max[N];
  };
  static Limits default_limits();
  // A child's limits: each requested value (0 = the kernel default),
  // clamped to the kernel default and to what `parent` has left
  // (limit - used - reserved), so a child can never get more than its
  // parent could still use itself. The parent is not charged: limits are
  // a ceiling per process, not a transfer of quota (docs/configuration.md).
  static Limits child_limits(const Limits& requested, const ResourceLedger& parent);
  uint64_t remaining(Res r) const;

  ResourceLedger() : ResourceLedger(default_limits()) {}
  explicit ResourceLedger(const Limits& l);

  // Fails with Err::Overloaded (and changes nothing) past the limit.
  Result<Reservation> reserve(Res r, uint64_t n);
  // Room for `n` more (used + reserved + n within the limit), and taking it
  // in one step: the reserve/commit pair for a charge checked and taken in
  // one kernel-lock section with nothing in between that could take the
  // same resource of this ledger (the endpoint CALL path, perf.budgets
  // endpoint_rtt). Inline: asked on every CALL.
  bool has_room(Res r, uint64_t n) const {
    int i = idx(r);
    uint64_t taken;
    if (__builtin_add_overflow(used_[i], reserved_[i], &taken)) return false;
    return taken <= limit_[i] && n <= limit_[i] - taken;
  }
  // has_room() and the charge taken when there is room, in one step.
  [[nodiscard]] bool take_if_room(Res r, uint64_t n) {
    if (!has_room(r, n)) return false;
    used_[idx(r)] += n;
    return true;
  }
  void take_checked(Res r, uint64_t n) {
    if (!has_room(r, n)) __builtin_trap();  // not checked first: a kernel bug
    used_[idx(r)] += n;
  }
  // A charge kept by its holder without a Reservation object (a cap
  // table's slot batch for a transfer, CapTable::reserve_many, whose
  // holder is itself an all-or-nothing transaction): reserved here, then
  // exactly that amount committed or given back by the holder.
  [[nodiscard]] bool reserve_held(Res r, uint64_t n) {
    int i = idx(r);
    uint64_t total;
    if (__builtin_add_overflow(used_[i], reserved_[i], &total) || __builtin_add_overflow(total, n, &total) ||
        total > limit_[i])
      return false;
    reserved_[i] += n;
    return true;
  }
  void commit_held(Res r, uint64_t n) {
    int i = idx(r);
    if (n > reserved_[i]) __builtin_trap();  // committing more than was reserved is a kernel bug
    reserved_[i] -= n;
    used_[i] += n;
  }
  void give_back_held(Res r, uint64_t n) {
    int i = idx(r);
    if (n > reserved_[i]) __builtin_trap();
    reserved_[i] -= n;
  }
  // Returns committed usage (release of a resource that was held).
  void release(Res r, uint64_t n) {
    int i = idx(r);
    if (n > used_[i]) __builtin_trap();  // releasing more than was committed is a kernel bug
    used_[i] -= n;
  }
  // Commits usage without the limit check: a charge handed over from a
  // payer that exited (docs/memory.md). Usage may then exceed the limit,
  // which only blocks further reservations.
  void inherit(Res r, uint64_t n);

  uint64_t used(Res r) const { return used_[idx(r)]; }
  uint64_t reserved(Res r) const { return reserved_[idx(r)]; }
  uint64_t limit(Res r) const { return limit_[idx(r)]; }
  void set_limit(Res r, uint64_t v) { limit_[idx(r)] = v; }
  // True when nothing is used or reserved (a process at teardown).
  bool empty() const;

 private:
  friend class Reservation;
  static int idx(Res r) { return static_cast<int>(r); }
  uint64_t used_[N] = {};
  uint64_t reserved_[N] = {};
  uint64_t limit_[N] = {};
};

}  // namespace capos
