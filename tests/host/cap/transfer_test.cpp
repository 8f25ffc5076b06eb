#include "kernel/cap/transfer.h"

#include <gtest/gtest.h>

#include <vector>

using namespace capos;
using namespace capos::abi;

namespace {

// The CQE result a transaction step leads to (0: it succeeded); every
// failure names its check.
int32_t code(const CapStatus& s) {
  if (s) return 0;
  EXPECT_NE(s.error().detail()[0], '\0');
  return s.error().cqe_result();
}

struct Obj final : KObject {
  static inline int live = 0;
  Obj() : KObject(ObjType::Test) { ++live; }
  void destroy() override {
    --live;
    delete this;
  }
};

struct Proc {
  std::vector<CapSlot> storage;
  ResourceLedger ledger;
  CapTable table;
  explicit Proc(size_t slots = 16) : storage(slots), table(Span<CapSlot>(storage.data(), slots), &ledger) {}
  uint32_t give(uint64_t iface = 7, uint8_t flags = 0) {
    return *table.insert(Ref<KObject>::adopt(new Obj()), iface, flags);
  }
};

CapTransferDesc desc(uint32_t id, uint8_t mode) { return CapTransferDesc{id, mode, {0, 0, 0}}; }

TEST(Transfer, CopyKeepsSourceMoveRemovesIt) {
  Proc a, b;
  uint32_t c1 = a.give(1), c2 = a.give(2);
  CapTransferDesc d[] = {desc(c1, XFER_COPY), desc(c2, XFER_MOVE)};
  TransferTxn t;
  ASSERT_EQ(code(t.prepare(a.table, Span<const CapTransferDesc>(d, 2))), 0);
  EXPECT_EQ(a.table.lookup(c2).error(), Err::Busy);  // pinned while in transit
  ASSERT_EQ(code(t.reserve(b.table)), 0);
  CapTransferRecord rec[2];
  t.commit(rec);
  EXPECT_TRUE(a.table.lookup(c1).ok());
  EXPECT_EQ(a.table.lookup(c2).error(), Err::Stale);
  EXPECT_EQ((*b.table.lookup(rec[0].cap_id))->interface_id, 1u);
  EXPECT_EQ((*b.table.lookup(rec[1].cap_id))->interface_id, 2u);
  EXPECT_EQ(rec[1].interface_id, 2u);
  EXPECT_EQ(a.ledger.used(Res::CapSlots), 1u);
  EXPECT_EQ(b.ledger.used(Res::CapSlots), 2u);
  EXPECT_EQ((*a.table.lookup(c1))->object, (*b.table.lookup(rec[0].cap_id))->object);  // same object
}

TEST(Transfer, ReceiverFullRollsBackCompletely) {
  Proc a, b(2);
  uint32_t m = a.give(), c = a.give();
  b.give();  // one free slot left, two needed
  int before = Obj::live;
  {
    CapTransferDesc d[] = {desc(m, XFER_MOVE), desc(c, XFER_COPY)};
    TransferTxn t;
    ASSERT_EQ(code(t.prepare(a.table, Span<const CapTransferDesc>(d, 2))), 0);
    EXPECT_EQ(code(t.reserve(b.table)), CAP_ERR_OVERLOADED);
  }  // destructor rolls back
  EXPECT_TRUE(a.table.lookup(m).ok()) << "sender still holds a working cap";
  EXPECT_TRUE(a.table.lookup(c).ok());
  EXPECT_EQ(b.table.live(), 1u);
  EXPECT_EQ(b.ledger.reserved(Res::CapSlots), 0u);
  EXPECT_EQ(a.ledger.used(Res::CapSlots), 2u);
  EXPECT_EQ(Obj::live, before);
}

TEST(Transfer, ReceiverQuotaExhausted) {
  Proc a, b;
  b.ledger.set_limit(Res::CapSlots, 0);
  uint32_t m = a.give();
  CapTransferDesc d[] = {desc(m, XFER_MOVE)};
  TransferTxn t;
  ASSERT_EQ(code(t.prepare(a.table, Span<const CapTransferDesc>(d, 1))), 0);
  EXPECT_EQ(code(t.reserve(b.table)), CAP_ERR_QUOTA_EXCEEDED);
  t.rollback();
  EXPECT_TRUE(a.table.lookup(m).ok());
}

TEST(Transfer, BadDescriptorsChangeNothing) {
  Proc a;
  uint32_t ok = a.give(), pinned_twice = a.give(), locked = a.give(9, CAP_F_NO_TRANSFER);
  std::vector<std::vector<CapTransferDesc>> cases = {
      {desc(ok, XFER_MOVE), desc(ok, 3)},                       // unknown mode
      {desc(ok, XFER_MOVE), CapTransferDesc{ok, XFER_COPY, {1, 0, 0}}},  // reserved bytes
      {desc(ok, XFER_MOVE), desc(0xDEAD0001, XFER_COPY)},      // forged id
      {desc(ok, XFER_MOVE), desc(locked, XFER_COPY)},          // non-transferable
      {desc(pinned_twice, XFER_MOVE), desc(pinned_twice, XFER_MOVE)},  // same cap moved twice
      {desc(ok, XFER_COPY), desc(pinned_twice, XFER_MOVE), desc(pinned_twice, XFER_COPY)},
  };
  for (auto& c : cases) {
    TransferTxn t;
    EXPECT_EQ(code(t.prepare(a.table, Span<const CapTransferDesc>(c.data(), c.size()))), CAP_ERR_INVALID_TRANSFER);
    EXPECT_TRUE(t.empty());
    EXPECT_TRUE(a.table.lookup(ok).ok());
    EXPECT_TRUE(a.table.lookup(pinned_twice).ok());
  }
  std::vector<CapTransferDesc> too_many(XFER_MAX + 1, desc(ok, XFER_COPY));
  TransferTxn t;
  EXPECT_EQ(code(t.prepare(a.table, Span<const CapTransferDesc>(too_many.data(), too_many.size()))),
            CAP_ERR_INVALID_TRANSFER);
}

TEST(Transfer, EveryFailurePointLeavesLedgersAtBaseline) {
  // Inject a receiver-slot failure after k successful reservations.
  for (uint32_t k = 0; k < 4; ++k) {
    Proc a, b;
    b.ledger.set_limit(Res::CapSlots, k);
    std::vector<CapTransferDesc> d;
    for (int i = 0; i < 4; ++i) d.push_back(desc(a.give(), i % 2 ? XFER_MOVE : XFER_COPY));
    uint64_t a_used = a.ledger.used(Res::CapSlots);
    {
      TransferTxn t;
      ASSERT_EQ(code(t.prepare(a.table, Span<const CapTransferDesc>(d.data(), d.size()))), 0);
      EXPECT_NE(code(t.reserve(b.table)), 0);
    }
    EXPECT_EQ(a.ledger.used(Res::CapSlots), a_used);
    EXPECT_TRUE(b.ledger.empty());
    for (auto& x : d) EXPECT_TRUE(a.table.lookup(x.cap_id).ok());
  }
}

TEST(Transfer, ObjectsSurviveExactlyAsLongAsReferenced) {
  int base = Obj::live;
  {
    Proc a, b;
    uint32_t m = a.give();
    CapTransferDesc d[] = {desc(m, XFER_MOVE)};
    TransferTxn t;
    ASSERT_EQ(code(t.prepare(a.table, Span<const CapTransferDesc>(d, 1))), 0);
    ASSERT_EQ(code(t.reserve(b.table)), 0);
    CapTransferRecord r[1];
    t.commit(r);
    a.table.clear();
    EXPECT_EQ(Obj::live, base + 1);  // now owned by b only
    b.table.clear();
    EXPECT_EQ(Obj::live, base);
  }
}

}  // namespace
