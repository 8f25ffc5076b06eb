// CallTable: the in-flight half of an endpoint's state machine — calls
// delivered to a server and awaiting RETURN — named by call ids the
// server quotes back. A call id is `index | generation << 8`; the
// generation moves on every release, so a forged, stale or replayed id is
// rejected without touching the table. A call whose caller died is
// *orphaned*: its record is freed at once and the slot keeps only the id
// and the server it was delivered to, so the server's eventual RETURN is
// accepted and discarded without anything being kept alive for a dead
// caller. Portable and host-tested.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos {

template <class T, uint32_t N> class CallTable {
  static_assert(N <= 256, "the index lives in the low 8 bits of a call id");

 public:
  static constexpr uint32_t INDEX_BITS = 8;
  static constexpr uint32_t GENERATION_MASK = 0xFFFFFF;

  // Stores `item`; returns its call id, or 0 when the table is full
  // (0 is never a valid id: generations start at 1).
  uint32_t insert(T* item) {
    for (uint32_t i = 0; i < N; ++i) {
      Slot& s = slots_[i];
      if (s.item || s.orphan_server) continue;
      s.item = item;
      ++count_;
      return i | (s.generation << INDEX_BITS);
    }
    return 0;
  }
  // The item named by `call_id`, or nullptr if the id is out of range,
  // empty or from an earlier generation.
  T* find(uint32_t call_id) const {
    uint32_t i = call_id & ((1u << INDEX_BITS) - 1);
    if (i >= N) return nullptr;
    const Slot& s = slots_[i];
    return s.item && (call_id >> INDEX_BITS) == s.generation ? s.item : nullptr;
  }
  // Frees the slot of a live `call_id` (must have been found first).
  void remove(uint32_t call_id) {
    Slot& s = slots_[call_id & ((1u << INDEX_BITS) - 1)];
    if (!s.item) __builtin_trap();  // double remove: a kernel bug
    release(s);
  }
  // Turns a live `call_id` into an orphan delivered to `server`: the item
  // is forgotten, the id stays reserved until take_orphan() or clear.
  void orphan(uint32_t call_id, const void* server) {
    Slot& s = slots_[call_id & ((1u << INDEX_BITS) - 1)];
    if (!s.item || !server) __builtin_trap();
    s.item = nullptr;
    s.orphan_server = server;
  }
  // True (and the slot freed) when `call_id` names an orphan delivered to
  // `server`; false for anything else, which stays as it was.
  bool take_orphan(uint32_t call_id, const void* server) {
    uint32_t i = call_id & ((1u << INDEX_BITS) - 1);
    if (i >= N) return false;
    Slot& s = slots_[i];
    if (!s.orphan_server || s.orphan_server != server || (call_id >> INDEX_BITS) != s.generation) return false;
    release(s);
    return true;
  }
  // Frees every orphan delivered to `server` (it died), or every orphan
  // when `server` is null (the endpoint died).
  void clear_orphans(const void* server) {
    for (Slot& s : slots_)
      if (s.orphan_server && (!server || s.orphan_server == server)) release(s);
  }
  uint32_t size() const { return count_; }
  bool full() const { return count_ == N; }
  // Visits every live item (for teardown); `fn` may remove the current one.
  template <class Fn> void for_each(Fn fn) {
    for (uint32_t i = 0; i < N; ++i)
      if (slots_[i].item) fn(slots_[i].item, i | (slots_[i].generation << INDEX_BITS));
  }

 private:
  struct Slot {
    T* item = nullptr;
    const void* orphan_server = nullptr;  // set while the slot is an orphan
    uint32_t generation = 1;
  };
  void release(Slot& s) {
    s.item = nullptr;
    s.orphan_server = nullptr;
    s.generation = (s.generation + 1) & GENERATION_MASK;
    if (s.generation == 0) s.generation = 1;
    --count_;
  }
  Slot slots_[N];
  uint32_t count_ = 0;
};

}  // namespace capos
