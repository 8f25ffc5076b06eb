// Per-process capability table: flat slots named by CapId (index |
// generation, lib/abi/capid.h). Every insert is charged to the process's
// ResourceLedger; lookups reject out-of-range, empty and stale ids without
// dereferencing anything. Portable: host-tested.
#pragma once

#include <stdint.h>

#include "kernel/cap/ledger.h"
#include "kernel/cap/object.h"
#include "lib/abi/capid.h"
#include "lib/core/span.h"

namespace capos {

// Slot flags.
constexpr uint8_t CAP_F_NO_TRANSFER = 1u << 0;  // may not be copied or moved to another process

struct CapSlot {
  KObject* object = nullptr;
  uint64_t interface_id = 0;
  uint16_t generation = 1;
  uint8_t state = 0;  // SlotState
  uint8_t flags = 0;
  uint32_t next_free = 0;
};

class CapTable;

// A reserved, not yet visible slot. Destroying it uncommitted returns the
// slot and the ledger charge.
class [[nodiscard]] SlotReservation {
 public:
  SlotReservation() = default;
  SlotReservation(SlotReservation&& o);
  SlotReservation& operator=(SlotReservation&& o);
  ~SlotReservation();
  uint32_t index() const { return index_; }
  bool valid() const { return table_ != nullptr; }

 private:
  friend class CapTable;
  SlotReservation(CapTable* t, uint32_t index, Reservation charge)
      : table_(t), index_(index), charge_(move(charge)) {}
  CapTable* table_ = nullptr;
  uint32_t index_ = 0;
  Reservation charge_;
};

// Slots are constructed lazily: `storage` may be raw memory; slot i is
// built (CapSlot{}) the first time reserve() needs it, so creating a table
// costs nothing per slot (spawn_wait, docs/benchmarks.md). Indices at or
// past fresh_ have never been used and answer as empty.
class CapTable {
 public:
  CapTable(Span<CapSlot> storage, ResourceLedger* ledger);
  CapTable(const CapTable&) = delete;
  CapTable& operator=(const CapTable&) = delete;
  ~CapTable() { clear(); }

  // Phase 1: find a free slot and charge the ledger (Overloaded / OutOfRange).
  Result<SlotReservation> reserve();
  // Phase 2: publish `obj` in the reserved slot; returns its CapId. Takes
  // over the reference held by `obj`.
  uint32_t commit(SlotReservation&& r, Ref<KObject> obj, uint64_t interface_id, uint8_t flags = 0);
  // reserve + commit.
  Result<uint32_t> insert(Ref<KObject> obj, uint64_t interface_id, uint8_t flags = 0);
  // Whether one insert would succeed, failing as reserve() does
  // (OutOfRange: no free slot; Overloaded: the CapSlots quota).
  Status room_for_one() const {
    if (free_head_ == NONE && fresh_ == slots_.size()) return fail(Err::OutOfRange);
    if (!ledger_->has_room(Res::CapSlots, 1)) return fail(Err::Overloaded);
    return {};
  }
  // room_for_one() with the CapSlots charge taken when it says yes (the
  // same errors, nothing changed on failure): the one-cap transfer
  // (TransferTxn::deliver), whose next step on this table is
  // insert_charged(), with nothing in between that can fail. Between the
  // two a slot may be freed (a move out of this same table), never taken.
  Status charge_one() {
    if (free_head_ == NONE && fresh_ == slots_.size()) [[unlikely]] return fail(Err::OutOfRange);
    if (!ledger_->take_if_room(Res::CapSlots, 1)) [[unlikely]] return fail(Err::Overloaded);
    return {};
  }
  // insert_checked() for a charge_one() that said yes: adopts the
  // reference `obj` holds (never null) into the next free slot.
  [[gnu::always_inline]] uint32_t insert_charged(KObject* obj, uint64_t interface_id) {
    return make_live(take_slot(), obj, interface_id, 0);
  }
  // insert() right after room_for_one() said yes, with nothing in between
  // that could take a slot or the quota: cannot fail.
  [[gnu::always_inline]] uint32_t insert_checked(Ref<KObject> obj, uint64_t interface_id, uint8_t flags = 0) {
    uint32_t i = take_slot();
    ledger_->take_checked(Res::CapSlots, 1);
    if (!obj) __builtin_trap();
    return make_live(i, obj.leak(), interface_id, flags);
  }

  // The batch form for capability transfers (TransferTxn, itself the
  // all-or-nothing owner of the batch): `n` slots into `index` and n
  // CapSlots reserved on the ledger, or nothing. Fails as n reserve()
  // calls in a row would: OutOfRange when the table runs out of slots
  // before the quota does, else Overloaded. The holder then publishes
  // every slot and calls commit_many(n), or calls unreserve_many.
  Status reserve_many(uint32_t* index, uint32_t n);
  void commit_many(uint32_t n) { ledger_->commit_held(Res::CapSlots, n); }
  void unreserve_many(const uint32_t* index, uint32_t n);
  // Publishes `obj` in a slot reserve_many gave; returns the CapId.
  uint32_t publish(uint32_t index, Ref<KObject> obj, uint64_t interface_id) {
    if (index >= fresh_ || slots_[index].state != RESERVED || !obj) __builtin_trap();
    return make_live(index, obj.leak(), interface_id, 0);  // transferred caps carry no flags
  }

  // NotFound (out of range / empty / reserved) or Stale (generation).
  // A live slot is answered inline (every SQE on a cap looks one up);
  // the reasons for a refusal are sorted out of line.
  [[gnu::always_inline]] Result<const CapSlot*> lookup(uint32_t capid) const {
    uint32_t i = abi::capid_index(capid);
    if (i < fresh_) [[likely]] {
      const CapSlot& s = slots_.data()[i];  // i < fresh_ <= slots_.size()
      if (s.state == LIVE && s.generation == abi::capid_generation(capid)) [[likely]]
        return &s;
    }
    return fail(lookup_refusal(capid));
  }
  // Removes the slot and hands back its reference; the CapId becomes stale.
  Result<Ref<KObject>> remove(uint32_t capid);
  // remove() dropping the reference here (CAP_OP_RELEASE): the same
  // checks, errors and order (the slot freed, then the object released),
  // no Ref handed back. Inline: the endpoint fast path's RELEASEs.
  [[gnu::always_inline]] Status drop(uint32_t capid) {
    auto s = lookup(capid);
    if (!s) [[unlikely]] return fail(s.error());
    KObject* obj = (*s)->object;
    --live_;
    ledger_->release(Res::CapSlots, 1);
    free_found(abi::capid_index(capid));
    obj->release();
    return {};
  }

  // Move transfers: a pinned slot is unusable (lookup answers Busy) until
  // it is either taken (the move committed) or unpinned (rolled back).
  // `capid` was just found by lookup() (live, generation matching).
  void pin_found(uint32_t capid) {
    CapSlot& s = slots_[abi::capid_index(capid)];
    if (s.state != LIVE) __builtin_trap();
    s.state = PINNED;
  }
  void unpin(uint32_t capid);
  Ref<KObject> take_pinned(uint32_t capid);
  // take_pinned() handing the slot's reference to the caller as a raw
  // pointer (the one-cap transfer adopts it into the receiver at once).
  [[gnu::always_inline]] KObject* take_pinned_raw(uint32_t capid) {
    uint32_t i = abi::capid_index(capid);
    if (i >= fresh_) __builtin_trap();
    CapSlot& s = slots_.data()[i];
    if (s.state != PINNED || s.generation != abi::capid_generation(capid)) __builtin_trap();
    KObject* obj = s.object;
    --live_;
    ledger_->release(Res::CapSlots, 1);
    free_found(i);
    return obj;
  }
  // The live-or-pinned slot behind `capid` (for transfer bookkeeping).
  const CapSlot* slot_of(uint32_t capid) const;
  // Releases every capability (process teardown).
  void clear();
  // True when a live or pinned slot refers to `obj` (charge hand-over).
  bool holds(const KObject* obj) const;

  uint32_t capacity() const { return static_cast<uint32_t>(slots_.size()); }
  uint32_t live() const { return live_; }
  // Iteration for diagnostics: slot `i` if live, else nullptr.
  const CapSlot* slot_if_live(uint32_t i) const;
  uint32_t capid_of(uint32_t index) const { return abi::capid_make(index, slots_[index].generation); }

 private:
  friend class SlotReservation;
  enum SlotState : uint8_t { EMPTY = 0, RESERVED = 1, LIVE = 2, RETIRED = 3, PINNED = 4 };
  void free_slot(uint32_t index);
  // Fills slot `i` (below fresh_: taken or reserved by the caller) with
  // the reference `obj` holds and makes it live; returns its CapId. Every
  // path that publishes a cap ends here.
  [[gnu::always_inline]] uint32_t make_live(uint32_t i, KObject* obj, uint64_t interface_id, uint8_t flags) {
    CapSlot& s = slots_.data()[i];
    s.object = obj;
    s.interface_id = interface_id;
    s.flags = flags;
    s.state = LIVE;
    ++live_;
    return abi::capid_make(i, s.generation);
  }
  // free_slot() of an index below fresh_ (just looked up), inline: the
  // slot cleared, its generation bumped (or the slot retired before the
  // generation would wrap) and pushed on the free list.
  [[gnu::always_inline]] void free_found(uint32_t i) {
    CapSlot& s = slots_.data()[i];
    s.object = nullptr;
    s.interface_id = 0;
    uint16_t gen = s.generation;
    // Generation wrap would let an old CapId name a new object: retire the
    // slot instead of reusing it.
    if (gen == 0xFFFF) [[unlikely]] {
      s.flags = 0;
      s.state = RETIRED;
      return;
    }
    // generation + 1, state EMPTY, flags 0 and the free-list link: the
    // slot's second word, stored at once.
    static_assert(__builtin_offsetof(CapSlot, state) == __builtin_offsetof(CapSlot, generation) + 2 &&
                  __builtin_offsetof(CapSlot, flags) == __builtin_offsetof(CapSlot, generation) + 3 &&
                  __builtin_offsetof(CapSlot, next_free) == __builtin_offsetof(CapSlot, generation) + 4 && EMPTY == 0);
    uint64_t word = static_cast<uint64_t>(static_cast<uint16_t>(gen + 1)) | static_cast<uint64_t>(free_head_) << 32;
    __builtin_memcpy(reinterpret_cast<char*>(&s) + __builtin_offsetof(CapSlot, generation), &word, sizeof(word));
    free_head_ = i;
  }
  // The next slot to fill: freed slots first, then never-used ones in
  // index order (so the first caps get small, predictable ids). The caller
  // has made sure one exists (free_head_ != NONE or fresh_ < size).
  [[gnu::always_inline]] uint32_t take_slot() {
    if (free_head_ != NONE) {
      uint32_t i = free_head_;
      free_head_ = slots_.data()[i].next_free;  // on the free list only by free_found: below fresh_
      return i;
    }
    uint32_t i = fresh_++;
    new (&slots_[i]) CapSlot{};
    return i;
  }
  [[gnu::noinline]] Err lookup_refusal(uint32_t capid) const;
  static constexpr uint32_t NONE = 0xFFFFFFFFu;

  Span<CapSlot> slots_;
  ResourceLedger* ledger_;
  uint32_t free_head_ = NONE;  // slots freed since they were built
  uint32_t fresh_ = 0;         // slots [0, fresh_) are built
  uint32_t live_ = 0;
};

}  // namespace capos
