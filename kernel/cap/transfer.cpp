#include "kernel/cap/transfer.h"

namespace capos {

using namespace abi;

// Each descriptor through add() (transfer.h); the first refusal rolls
// back the ones already taken.
CapStatus TransferTxn::prepare(CapTable& src, Span<const CapTransferDesc> descs) {
  if (n_ || descs.size() > XFER_MAX)
    return CAPOS_CAP_FAIL(INVALID_TRANSFER, "more than XFER_MAX descriptors, or a transaction already prepared");
  src_ = &src;
  for (const CapTransferDesc& d : descs) {
    CapStatus r = add(src, d);
    if (!r) {
      rollback();
      return r;
    }
  }
  return {};
}

CapStatus TransferTxn::reserve(CapTable& dst) {
  release_reservations();  // a second delivery attempt reserves afresh
  auto r = dst.reserve_many(dst_index_, n_);
  if (!r) {
    if (r.error() == Err::Overloaded) return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "the receiver's cap-slot quota is reached");
    return CAPOS_CAP_FAIL(OVERLOADED, "the receiver's cap table is full");
  }
  dst_ = &dst;
  return {};
}

// Item i into its reserved receiver slot: a copy's held reference, or a
// move's reference taken out of the sender's pinned slot.
inline CapTransferRecord TransferTxn::publish(uint32_t i) {
  Item& it = items_[i];
  Ref<KObject> obj = it.mode == XFER_COPY ? Ref<KObject>::adopt(it.obj) : src_->take_pinned(it.src_capid);
  uint32_t flags = served_by_process(obj.get()) ? XFER_REC_SERVED : 0;
  uint32_t id = dst_->publish(dst_index_[i], move(obj), it.interface_id);
  return CapTransferRecord{id, flags, it.interface_id};
}

inline void TransferTxn::finish_commit() {
  dst_->commit_many(n_);
  n_ = 0;
  src_ = dst_ = nullptr;
}

void TransferTxn::commit(CapTransferRecord* out) {
  if (!dst_) __builtin_trap();  // commit without reserve is a kernel bug
  for (uint32_t i = 0; i < n_; ++i) out[i] = publish(i);
  finish_commit();
}

void TransferTxn::commit_to(uint8_t* out) {
  if (!dst_) __builtin_trap();
  for (uint32_t i = 0; i < n_; ++i) {
    CapTransferRecord rec = publish(i);
    __builtin_memcpy_inline(out + i * sizeof(CapTransferRecord), &rec, sizeof(rec));
  }
  finish_commit();
}

// One cap into `dst`: room_for_one's checks with the CapSlots charge taken
// at once (charge_one); the same errors as reserve().
static inline CapStatus charge_receiver(CapTable& dst) {
  if (auto room = dst.charge_one(); !room) [[unlikely]] {
    if (room.error() == Err::Overloaded) return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "the receiver's cap-slot quota is reached");
    return CAPOS_CAP_FAIL(OVERLOADED, "the receiver's cap table is full");
  }
  return {};
}

CapStatus TransferTxn::deliver_other(CapTable& dst, uint8_t* out) {
  if (n_ != 1) {
    CAPOS_TRY_STATUS(reserve(dst));
    commit_to(out);
    return {};
  }
  release_reservations();
  CAPOS_TRY_STATUS(charge_receiver(dst));
  // The sender's slot emptied (a move) before the receiver's is filled, so
  // a move within one table reuses the slot it frees, as insert() after
  // take_pinned() would.
  const Item& it = items_[0];
  publish_one(dst, it.mode == XFER_COPY ? it.obj : src_->take_pinned_raw(it.src_capid), out);
  return {};
}

KObject* TransferTxn::peek(uint32_t i, uint64_t* interface_id) const {
  if (i >= n_ || items_[i].taken) return nullptr;
  if (interface_id) *interface_id = items_[i].interface_id;
  return items_[i].obj;
}

Ref<KObject> TransferTxn::take(uint32_t i) {
  if (i >= n_ || items_[i].taken) return {};
  Item& it = items_[i];
  it.taken = true;
  return it.mode == XFER_COPY ? Ref<KObject>::adopt(it.obj) : src_->take_pinned(it.src_capid);
}

void TransferTxn::release_reservations() {
  if (dst_) dst_->unreserve_many(dst_index_, n_);
  dst_ = nullptr;
}

void TransferTxn::rollback() {
  release_reservations();
  for (uint32_t i = n_; i-- > 0;) {
    Item& it = items_[i];
    if (it.taken) continue;
    if (it.mode == XFER_MOVE) src_->unpin(it.src_capid);
    else it.obj->release();
  }
  n_ = 0;
  src_ = nullptr;
}

}  // namespace capos
