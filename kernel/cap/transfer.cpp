#include "kernel/cap/transfer.h"

namespace capos {

using namespace abi;

CapStatus TransferTxn::prepare(CapTable& src, Span<const CapTransferDesc> descs) {
  if (!items_.empty() || descs.size() > XFER_MAX)
    return CAPOS_CAP_FAIL(INVALID_TRANSFER, "more than XFER_MAX descriptors, or a transaction already prepared");
  src_ = &src;
  for (const CapTransferDesc& d : descs) {
    if ((d.mode != XFER_COPY && d.mode != XFER_MOVE) || d.reserved[0] || d.reserved[1] || d.reserved[2]) {
      rollback();
      return CAPOS_CAP_FAIL(INVALID_TRANSFER, "descriptor mode is neither copy nor move, or reserved bytes are set");
    }
    auto slot = src.lookup(d.cap_id);  // a cap pinned by an earlier descriptor answers Busy
    if (!slot || ((*slot)->flags & CAP_F_NO_TRANSFER)) {
      rollback();
      return CAPOS_CAP_FAIL(INVALID_TRANSFER, "descriptor names no transferable capability");
    }
    Item it;
    it.src_capid = d.cap_id;
    it.mode = d.mode;
    it.interface_id = (*slot)->interface_id;
    if (d.mode == XFER_COPY) {
      it.shared = Ref<KObject>::share((*slot)->object);
    } else if (!src.pin(d.cap_id)) {
      rollback();
      return CAPOS_CAP_FAIL(INVALID_TRANSFER, "the same capability moved twice");
    }
    if (!items_.push_back(move(it))) __builtin_trap();  // bounded by XFER_MAX above
  }
  return {};
}

CapStatus TransferTxn::reserve(CapTable& dst) {
  dst_ = &dst;
  for (Item& it : items_) {
    auto r = dst.reserve();
    if (!r) {
      release_reservations();
      if (r.error() == Err::Overloaded) return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "the receiver's cap-slot quota is reached");
      return CAPOS_CAP_FAIL(OVERLOADED, "the receiver's cap table is full");
    }
    it.dst = move(*r);
  }
  return {};
}

void TransferTxn::commit(CapTransferRecord* out) {
  for (uint32_t i = 0; i < items_.size(); ++i) {
    Item& it = items_[i];
    Ref<KObject> obj = it.mode == XFER_COPY ? move(it.shared) : src_->take_pinned(it.src_capid);
    uint32_t flags = served_by_process(obj.get()) ? XFER_REC_SERVED : 0;
    uint32_t id = dst_->commit(move(it.dst), move(obj), it.interface_id);
    out[i] = CapTransferRecord{id, flags, it.interface_id};
  }
  items_.clear();
  src_ = dst_ = nullptr;
}

KObject* TransferTxn::peek(uint32_t i, uint64_t* interface_id) const {
  if (i >= items_.size() || items_[i].taken) return nullptr;
  const Item& it = items_[i];
  if (interface_id) *interface_id = it.interface_id;
  if (it.mode == XFER_COPY) return it.shared.get();
  const CapSlot* s = src_->slot_of(it.src_capid);
  return s ? s->object : nullptr;
}

Ref<KObject> TransferTxn::take(uint32_t i) {
  if (i >= items_.size() || items_[i].taken) return {};
  Item& it = items_[i];
  it.taken = true;
  return it.mode == XFER_COPY ? move(it.shared) : src_->take_pinned(it.src_capid);
}

void TransferTxn::release_reservations() {
  for (Item& it : items_) it.dst = SlotReservation();
  dst_ = nullptr;
}

void TransferTxn::rollback() {
  for (Item& it : items_) {
    if (it.mode == XFER_MOVE && src_ && !it.taken) src_->unpin(it.src_capid);
  }
  items_.clear();  // drops shared refs and receiver reservations
  src_ = dst_ = nullptr;
}

}  // namespace capos
