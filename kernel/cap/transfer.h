// Capability transfer transaction (copy/move beside a message), portable
// and host-tested. All or nothing:
//   prepare(src)  validate every descriptor; pin move sources, share copies
//   reserve(dst)  reserve a receiver slot (and ledger charge) per item
//   commit()      insert into the receiver, remove move sources
//   rollback()    unpin, drop shared refs, release reservations
// Nothing is visible to either process until commit, and commit cannot
// fail, so no capability is ever lost, duplicated or half inserted.
#pragma once

#include "kernel/cap/cap_result.h"
#include "kernel/cap/cap_table.h"
#include "lib/abi/errors.h"
#include "lib/abi/ipc.h"
#include "lib/core/fixed_vector.h"

namespace capos {

class TransferTxn {
 public:
  TransferTxn() = default;
  TransferTxn(const TransferTxn&) = delete;
  TransferTxn& operator=(const TransferTxn&) = delete;
  ~TransferTxn() {
    if (!items_.empty()) rollback();  // inline: most calls carry no caps
  }

  // INVALID_TRANSFER for bad descriptors (nothing stays prepared).
  CapStatus prepare(CapTable& src, Span<const abi::CapTransferDesc> descs);
  // QUOTA_EXCEEDED or OVERLOADED when the receiver cannot take them all
  // (no reservation stays).
  CapStatus reserve(CapTable& dst);
  // Writes one record per item (the receiver's new CapIds) into `out`.
  void commit(abi::CapTransferRecord* out);
  // The same, the records written as bytes at `out` (any alignment: they
  // follow the payload in a receiver's buffer, mapped in the kernel).
  void commit_to(uint8_t* out) {
    abi::CapTransferRecord rec[abi::XFER_MAX];
    uint32_t n = count();
    commit(rec);
    for (uint32_t i = 0; i < n; ++i)
      __builtin_memcpy_inline(out + i * sizeof(abi::CapTransferRecord), &rec[i], sizeof(abi::CapTransferRecord));
  }
  void rollback();
  // Receiver reservations only (the sender's part stays prepared).
  void release_reservations();

  uint32_t count() const { return static_cast<uint32_t>(items_.size()); }

  // Kernel as the receiver (calls to kernel caps): inspect item i, then
  // take its object — a copy shares it, a move removes the sender's slot.
  // Items never taken roll back with the transaction.
  KObject* peek(uint32_t i, uint64_t* interface_id) const;
  Ref<KObject> take(uint32_t i);
  bool empty() const { return items_.empty(); }

 private:
  struct Item {
    uint32_t src_capid = 0;
    uint8_t mode = 0;
    uint64_t interface_id = 0;
    Ref<KObject> shared;  // COPY: the extra reference for the receiver
    SlotReservation dst;
    bool taken = false;   // consumed by a kernel receiver
  };
  CapTable* src_ = nullptr;
  CapTable* dst_ = nullptr;
  FixedVector<Item, abi::XFER_MAX> items_;
};

}  // namespace capos
