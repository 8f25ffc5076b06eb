#include "kernel/cap/ledger.h"

#include "lib/abi/capid.h"

namespace capos {

ResourceLedger::Limits ResourceLedger::default_limits() {
  Limits l{};
  l.max[static_cast<int>(Res::CapSlots)] = 256;
  l.max[static_cast<int>(Res::OutstandingCalls)] = 64;
  l.max[static_cast<int>(Res::FramePages)] = 16384;   // 64 MiB
  l.max[static_cast<int>(Res::VirtualPages)] = 262144;  // 1 GiB of reservations
  l.max[static_cast<int>(Res::Threads)] = 16;
  // 1 GiB of VirtualPages mapped densely needs 512 page tables plus a few
  // upper levels; sparse maps need more per page, and meet this bound.
  l.max[static_cast<int>(Res::PageTables)] = 1024;
  // A process record, thread, stack and scratch take ~70 KiB; the rest
  // covers call records (1.3 KiB each) and queued parameter copies.
  l.max[static_cast<int>(Res::KernelBytes)] = 1024 * 1024;
  return l;
}

uint64_t ResourceLedger::remaining(Res r) const {
  int i = idx(r);
  uint64_t taken = used_[i] + reserved_[i];  // never above limit_ except after set_limit lowered it
  return taken >= limit_[i] ? 0 : limit_[i] - taken;
}

ResourceLedger::Limits ResourceLedger::child_limits(const Limits& requested, const ResourceLedger& parent) {
  Limits d = default_limits(), out{};
  for (int i = 0; i < N; ++i) {
    uint64_t v = requested.max[i] ? requested.max[i] : d.max[i];
    if (v > d.max[i]) v = d.max[i];
    uint64_t left = parent.remaining(static_cast<Res>(i));
    out.max[i] = v < left ? v : left;
  }
  return out;
}

ResourceLedger::ResourceLedger(const Limits& l) {
  for (int i = 0; i < N; ++i) limit_[i] = l.max[i];
}

Result<Reservation> ResourceLedger::reserve(Res r, uint64_t n) {
  int i = idx(r);
  uint64_t total;
  if (add_overflow(used_[i], reserved_[i], &total) || add_overflow(total, n, &total) || total > limit_[i])
    return fail(Err::Overloaded);
  reserved_[i] += n;
  return Reservation(this, r, n);
}

void ResourceLedger::inherit(Res r, uint64_t n) {
  int i = idx(r);
  if (add_overflow(used_[i], n, &used_[i])) __builtin_trap();
}

bool ResourceLedger::empty() const {
  for (int i = 0; i < N; ++i)
    if (used_[i] || reserved_[i]) return false;
  return true;
}

Reservation& Reservation::operator=(Reservation&& o) {
  rollback();
  ledger_ = o.ledger_;
  res_ = o.res_;
  amount_ = o.amount_;
  o.ledger_ = nullptr;
  return *this;
}

void Reservation::commit() {
  if (!ledger_) return;
  int i = ResourceLedger::idx(res_);
  ledger_->reserved_[i] -= amount_;
  ledger_->used_[i] += amount_;
  ledger_ = nullptr;
}

void Reservation::give_back() {
  ledger_->reserved_[ResourceLedger::idx(res_)] -= amount_;
  ledger_ = nullptr;
}

}  // namespace capos
