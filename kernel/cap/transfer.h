// Capability transfer transaction (copy/move beside a message), portable
// and host-tested. All or nothing:
//   prepare(src)  validate every descriptor; pin move sources, share copies
//   reserve(dst)  reserve a receiver slot per item and one ledger charge
//                 for all of them
//   commit()      insert into the receiver, remove move sources
//   rollback()    unpin, drop shared refs, release reservations
// Nothing is visible to either process until commit, and commit cannot
// fail, so no capability is ever lost, duplicated or half inserted.
//
// Cheap by construction (perf.budgets endpoint_rtt_cap): items are plain
// words (object pointer, source CapId, receiver slot index), the receiver
// side is one CapTable::reserve_many (slots and one ledger charge), and a
// transaction with no items costs its destructor one test. The endpoint
// fast path (kernel/ipc/fast_path.cpp) may use the same object for a call
// carrying caps: prepare_one() for the common single descriptor, then
// deliver() into the receiver's mapped buffer (ipc.cpp write_delivery).
#pragma once

#include "kernel/cap/cap_result.h"
#include "kernel/cap/cap_table.h"
#include "lib/abi/errors.h"
#include "lib/abi/ipc.h"

namespace capos {

class TransferTxn {
 public:
  TransferTxn() = default;
  TransferTxn(const TransferTxn&) = delete;
  TransferTxn& operator=(const TransferTxn&) = delete;
  ~TransferTxn() {
    if (n_) rollback();  // inline: most calls carry no caps
  }

  // INVALID_TRANSFER for bad descriptors (nothing stays prepared).
  CapStatus prepare(CapTable& src, Span<const abi::CapTransferDesc> descs);
  // prepare() of exactly one descriptor (same checks, same results).
  // Inline (below): the endpoint fast path's CALL with one cap.
  CapStatus prepare_one(CapTable& src, const abi::CapTransferDesc& d);
  // QUOTA_EXCEEDED or OVERLOADED when the receiver cannot take them all
  // (no reservation stays).
  CapStatus reserve(CapTable& dst);
  // Writes one record per item (the receiver's new CapIds) into `out`.
  void commit(abi::CapTransferRecord* out);
  // The same, the records written as bytes at `out` (any alignment: they
  // follow the payload in a receiver's buffer, mapped in the kernel).
  void commit_to(uint8_t* out);
  // reserve() and commit_to() in one step, for a receiver where nothing
  // that can fail comes between them (a message written into a buffer
  // the kernel has mapped): the same errors as reserve(), then nothing
  // changed; else every cap is in `dst` and its record at `out`. One item
  // (the common case) takes no slot batch. Inline (below).
  CapStatus deliver(CapTable& dst, uint8_t* out);
  void rollback();
  // Receiver reservations only (the sender's part stays prepared).
  void release_reservations();

  uint32_t count() const { return n_; }

  // Kernel as the receiver (calls to kernel caps): inspect item i, then
  // take its object — a copy shares it, a move removes the sender's slot.
  // Items never taken roll back with the transaction.
  KObject* peek(uint32_t i, uint64_t* interface_id) const;
  Ref<KObject> take(uint32_t i);
  bool empty() const { return n_ == 0; }

 private:
  // Plain words: a default-built transaction (one per call record) writes
  // nothing but its count.
  struct Item {
    KObject* obj;  // COPY: a reference held for the receiver; MOVE: the pinned slot's (owned by the slot)
    uint32_t src_capid;
    uint64_t interface_id;
    uint8_t mode;
    bool taken;  // consumed by a kernel receiver
  };
  CapStatus add(CapTable& src, const abi::CapTransferDesc& d);
  CapStatus deliver_other(CapTable& dst, uint8_t* out);
  void publish_one(CapTable& dst, KObject* obj, uint8_t* out);
  abi::CapTransferRecord publish(uint32_t i);
  void finish_commit();

  CapTable* src_ = nullptr;
  CapTable* dst_ = nullptr;  // set while receiver slots (and their CapSlots charge) are reserved
  uint32_t n_ = 0;
  uint32_t dst_index_[abi::XFER_MAX];  // receiver slots, while dst_ is set
  Item items_[abi::XFER_MAX];
};

// One descriptor checked, then taken as item n_ (the caller has checked
// there is room): its source pinned (MOVE) or its object shared (COPY);
// on a refusal nothing of it stays. The mode and reserved bytes tested as one word
// (little-endian: mode in the low byte), the slot looked up once (a cap
// pinned by an earlier descriptor answers Busy), the item's words stored
// from registers.
[[gnu::always_inline]] inline CapStatus TransferTxn::add(CapTable& src, const abi::CapTransferDesc& d) {
  static_assert(__builtin_offsetof(abi::CapTransferDesc, mode) == 4 && sizeof(abi::CapTransferDesc) == 8);
  uint32_t k = n_;  // read before the calls below, which the compiler cannot see through
  uint32_t mode_word;
  __builtin_memcpy(&mode_word, &d.mode, sizeof(mode_word));
  uint32_t capid = d.cap_id;
  if (mode_word != abi::XFER_COPY && mode_word != abi::XFER_MOVE) [[unlikely]]
    return CAPOS_CAP_FAIL(INVALID_TRANSFER, "descriptor mode is neither copy nor move, or reserved bytes are set");
  auto slot = src.lookup(capid);
  if (!slot || ((*slot)->flags & CAP_F_NO_TRANSFER)) [[unlikely]]
    return CAPOS_CAP_FAIL(INVALID_TRANSFER, "descriptor names no transferable capability (or one this transfer moves)");
  KObject* obj = (*slot)->object;
  Item& it = items_[k];
  it.obj = obj;
  it.src_capid = capid;
  it.interface_id = (*slot)->interface_id;
  it.mode = static_cast<uint8_t>(mode_word);  // mode_word < 256: checked above
  it.taken = false;
  if (mode_word == abi::XFER_COPY) obj->retain();
  else src.pin_found(capid);
  n_ = k + 1;
  return {};
}

// prepare() of one descriptor: add() as the first item.
[[gnu::always_inline]] inline CapStatus TransferTxn::prepare_one(CapTable& src, const abi::CapTransferDesc& d) {
  if (n_) [[unlikely]]
    return CAPOS_CAP_FAIL(INVALID_TRANSFER, "more than XFER_MAX descriptors, or a transaction already prepared");
  CapStatus r = add(src, d);
  if (r) src_ = &src;
  return r;
}

// The one item's reference `obj` into the charged receiver slot, its
// record stored field by field at `out` (any alignment); the transaction
// is then empty.
[[gnu::always_inline]] inline void TransferTxn::publish_one(CapTable& dst, KObject* obj, uint8_t* out) {
  uint64_t iface = items_[0].interface_id;
  uint32_t flags = served_by_process(obj) ? abi::XFER_REC_SERVED : 0;
  uint32_t id = dst.insert_charged(obj, iface);
  static_assert(__builtin_offsetof(abi::CapTransferRecord, cap_id) == 0 && __builtin_offsetof(abi::CapTransferRecord, flags) == 4 &&
                __builtin_offsetof(abi::CapTransferRecord, interface_id) == 8 && sizeof(abi::CapTransferRecord) == 16);
  __builtin_memcpy(out, &id, sizeof(id));
  __builtin_memcpy(out + 4, &flags, sizeof(flags));
  __builtin_memcpy(out + 8, &iface, sizeof(iface));
  n_ = 0;
  src_ = nullptr;
}

// The common delivery, one copied cap whose object is no wrapper, inline
// (the fused CALL's and write_delivery's); everything else -- several
// caps, a move, a reservation held, a wrapper (its served-by-process walk
// calls through it), a refusal (charge_one changes nothing when it says
// no, so deliver_other asks again and answers) -- out of line.
[[gnu::always_inline]] inline CapStatus TransferTxn::deliver(CapTable& dst, uint8_t* out) {
  const Item& it = items_[0];
  if (n_ != 1 || dst_ || it.mode != abi::XFER_COPY || it.obj->type() == ObjType::Revocable || !dst.charge_one()) [[unlikely]]
    return deliver_other(dst, out);
  publish_one(dst, it.obj, out);  // the copy's held reference
  return {};
}

}  // namespace capos
