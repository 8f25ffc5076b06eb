#include "kernel/cap/cap_table.h"

namespace capos {

SlotReservation::SlotReservation(SlotReservation&& o)
    : table_(o.table_), index_(o.index_), charge_(move(o.charge_)) {
  o.table_ = nullptr;
}

SlotReservation& SlotReservation::operator=(SlotReservation&& o) {
  if (table_) table_->free_slot(index_);
  table_ = o.table_;
  index_ = o.index_;
  charge_ = move(o.charge_);
  o.table_ = nullptr;
  return *this;
}

SlotReservation::~SlotReservation() {
  if (table_) table_->free_slot(index_);  // charge_ rolls back by itself
}

CapTable::CapTable(Span<CapSlot> storage, ResourceLedger* ledger) : slots_(storage), ledger_(ledger) {
  if (slots_.size() > abi::CAP_TABLE_MAX_SLOTS) slots_ = slots_.first(abi::CAP_TABLE_MAX_SLOTS);
}

Result<SlotReservation> CapTable::reserve() {
  if (free_head_ == NONE && fresh_ == slots_.size()) return fail(Err::OutOfRange);
  Reservation charge = CAPOS_TRY(ledger_->reserve(Res::CapSlots, 1));
  uint32_t i = take_slot();
  slots_[i].state = RESERVED;
  return SlotReservation(this, i, move(charge));
}

uint32_t CapTable::commit(SlotReservation&& r, Ref<KObject> obj, uint64_t interface_id, uint8_t flags) {
  if (!r.valid() || r.table_ != this || slots_[r.index_].state != RESERVED || !obj) __builtin_trap();
  uint32_t id = make_live(r.index_, obj.leak(), interface_id, flags);
  r.charge_.commit();
  r.table_ = nullptr;
  return id;
}

Result<uint32_t> CapTable::insert(Ref<KObject> obj, uint64_t interface_id, uint8_t flags) {
  CAPOS_TRY_STATUS(room_for_one());
  return insert_checked(move(obj), interface_id, flags);
}

// Why lookup() refused `capid` (never a live slot of that generation).
Err CapTable::lookup_refusal(uint32_t capid) const {
  uint32_t i = abi::capid_index(capid);
  if (capid == abi::CAPID_INVALID || i >= fresh_) return Err::NotFound;
  const CapSlot& s = slots_[i];
  if (s.state == PINNED && s.generation == abi::capid_generation(capid)) return Err::Busy;
  if (s.state != LIVE) return s.generation != abi::capid_generation(capid) ? Err::Stale : Err::NotFound;
  return Err::Stale;
}

Result<Ref<KObject>> CapTable::remove(uint32_t capid) {
  const CapSlot* s = CAPOS_TRY(lookup(capid));
  uint32_t i = abi::capid_index(capid);
  Ref<KObject> obj = Ref<KObject>::adopt(s->object);
  slots_[i].object = nullptr;
  --live_;
  ledger_->release(Res::CapSlots, 1);
  free_slot(i);
  return obj;
}

Status CapTable::reserve_many(uint32_t* index, uint32_t n) {
  uint32_t got = 0;
  for (; got < n; ++got) {
    if (free_head_ == NONE && fresh_ == slots_.size()) break;
    uint32_t i = take_slot();
    slots_[i].state = RESERVED;
    index[got] = i;
  }
  if (got == n && ledger_->reserve_held(Res::CapSlots, n)) return {};
  // reserve() one at a time fails at the first of: no slot (at `got`) or
  // no quota (at `remaining`), the slot checked first.
  bool table_first = got < n && got <= ledger_->remaining(Res::CapSlots);
  while (got) free_slot(index[--got]);  // in reverse: the free list as it was
  return fail(table_first ? Err::OutOfRange : Err::Overloaded);
}

void CapTable::unreserve_many(const uint32_t* index, uint32_t n) {
  for (uint32_t k = n; k-- > 0;) {  // in reverse: the free list as it was
    uint32_t i = index[k];
    if (i >= fresh_ || slots_[i].state != RESERVED) __builtin_trap();
    free_slot(i);
  }
  ledger_->give_back_held(Res::CapSlots, n);
}

const CapSlot* CapTable::slot_of(uint32_t capid) const {
  uint32_t i = abi::capid_index(capid);
  if (i >= fresh_ || slots_[i].generation != abi::capid_generation(capid)) return nullptr;
  return slots_[i].state == LIVE || slots_[i].state == PINNED ? &slots_[i] : nullptr;
}

void CapTable::unpin(uint32_t capid) {
  uint32_t i = abi::capid_index(capid);
  if (i >= fresh_ || slots_[i].state != PINNED || slots_[i].generation != abi::capid_generation(capid))
    __builtin_trap();  // unbalanced pin/unpin is a kernel bug
  slots_[i].state = LIVE;
}

Ref<KObject> CapTable::take_pinned(uint32_t capid) { return Ref<KObject>::adopt(take_pinned_raw(capid)); }

void CapTable::free_slot(uint32_t i) {
  if (i >= fresh_) __builtin_trap();  // never built: a kernel bug
  free_found(i);
}

void CapTable::clear() {
  for (uint32_t i = 0; i < fresh_; ++i) {
    if (slots_[i].state != LIVE && slots_[i].state != PINNED) continue;
    KObject* o = slots_[i].object;
    slots_[i].object = nullptr;
    --live_;
    ledger_->release(Res::CapSlots, 1);
    free_slot(i);
    o->release();
  }
}

const CapSlot* CapTable::slot_if_live(uint32_t i) const {
  return i < fresh_ && (slots_[i].state == LIVE || slots_[i].state == PINNED) ? &slots_[i] : nullptr;
}

bool CapTable::holds(const KObject* obj) const {
  for (uint32_t i = 0; i < fresh_; ++i)
    if (slots_[i].object == obj) return true;  // free and reserved slots hold no object
  return false;
}

}  // namespace capos
