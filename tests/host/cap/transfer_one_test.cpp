// The one-cap delivery (TransferTxn::prepare_one + deliver: the CapSlots
// charge taken with the room test, the sender's slot emptied, the
// receiver's filled) against the same transfer done step by step through
// the general entry points: prepare(), room_for_one(), take() (a copy's
// held reference, or the move's out of the pinned slot) and insert().
// Twin worlds get the same random tables (occupancy, stale ids, slots about
// to retire, quotas, caps served by a process directly or through a
// wrapper), then the same descriptor, to another table or to the sender's
// own: errors, records, every slot (object, interface, generation, state
// as seen through lookup), the free-list order (the ids the next inserts
// get), live counts and ledgers must be identical.
#include "kernel/cap/transfer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <vector>

using namespace capos;
using namespace capos::abi;

namespace {

struct Obj final : KObject {
  explicit Obj(ObjType t, KObject* target = nullptr) : KObject(t), target_(target) {}
  const KObject* call_target() const override { return target_ ? target_ : this; }
  void destroy() override {
    if (target_) target_->release();  // a wrapper owns what it wraps
    delete this;
  }
  KObject* target_;
};

// Whether CALLs on `o` reach a process, walked here independently of
// served_by_process (whose inline first test the one-cap path uses).
bool served_ref(const KObject* o) {
  for (int depth = 0; o && depth < 16; ++depth) {
    if (o->type() == ObjType::ClientEndpoint) return true;
    if (o->type() != ObjType::Revocable) return false;
    o = o->call_target();
  }
  return o != nullptr;
}

int32_t code(const CapStatus& s) { return s ? 0 : s.error().cqe_result(); }

struct Table {
  std::vector<CapSlot> storage;
  ResourceLedger ledger;
  CapTable table;
  explicit Table(uint32_t n) : storage(n), table(Span<CapSlot>(storage.data(), n), &ledger) {}
};

struct World {
  std::unique_ptr<Table> a, b;
  World(uint32_t na, uint32_t nb) : a(std::make_unique<Table>(na)), b(std::make_unique<Table>(nb)) {}
};

::testing::AssertionResult same_table(Table& x, Table& y) {
  if (x.table.live() != y.table.live()) return ::testing::AssertionFailure() << "live counts differ";
  if (x.ledger.used(Res::CapSlots) != y.ledger.used(Res::CapSlots) ||
      x.ledger.reserved(Res::CapSlots) != y.ledger.reserved(Res::CapSlots))
    return ::testing::AssertionFailure() << "ledgers differ";
  for (uint32_t i = 0; i < x.table.capacity(); ++i) {
    const CapSlot* sx = x.table.slot_if_live(i);
    const CapSlot* sy = y.table.slot_if_live(i);
    if (!sx != !sy) return ::testing::AssertionFailure() << "slot " << i << " live in one world only";
    if (sx && (sx->object != sy->object || sx->interface_id != sy->interface_id || sx->flags != sy->flags ||
               x.table.capid_of(i) != y.table.capid_of(i)))
      return ::testing::AssertionFailure() << "slot " << i << " differs";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

TEST(TransferOne, DeliverMatchesTheStepByStepInsert) {
  std::mt19937 rng(0x5eed1);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  uint32_t delivered = 0, to_self = 0, full = 0, quota = 0, refused = 0, served = 0, retired = 0;
  for (int round = 0; round < 3000; ++round) {
    World w[2] = {World(2 + pick(6), 2 + pick(6)), World(0, 0)};
    w[1] = World(static_cast<uint32_t>(w[0].a->storage.size()), static_cast<uint32_t>(w[0].b->storage.size()));
    uint64_t qa = 1 + pick(8), qb = 1 + pick(8);
    for (World& x : w) {
      x.a->ledger.set_limit(Res::CapSlots, qa);
      x.b->ledger.set_limit(Res::CapSlots, qb);
    }
    // The same random history in both worlds: inserts of shared objects
    // (plain, a client facet, a wrapper around one), removals, and now and
    // then one slot churned to the edge of its generation.
    std::vector<uint32_t> ids_a;
    int steps = static_cast<int>(pick(14));
    for (int s = 0; s < steps; ++s) {
      bool on_a = pick(3) != 0;
      uint32_t k = pick(6);
      if (k < 4) {
        // A client facet, a wrapper around one, a wrapper around a plain
        // object, a plain object: one object shared by the worlds, each
        // holding one reference (the creator's and one more).
        Obj* o = k == 0   ? new Obj(ObjType::ClientEndpoint)
                 : k == 1 ? new Obj(ObjType::Revocable, new Obj(ObjType::ClientEndpoint))
                 : k == 2 ? new Obj(ObjType::Revocable, new Obj(ObjType::Test))
                          : new Obj(ObjType::Test);
        o->retain();
        uint64_t iface = pick(3);
        uint8_t flags = pick(5) == 0 ? CAP_F_NO_TRANSFER : 0;
        int32_t r0 = 0, r1 = 0;
        for (int i = 0; i < 2; ++i) {
          Table& t = on_a ? *w[i].a : *w[i].b;
          auto r = t.table.insert(Ref<KObject>::adopt(o), iface, flags);
          (i ? r1 : r0) = r ? static_cast<int32_t>(*r) : -1;
        }
        ASSERT_EQ(r0, r1);
        if (r0 < 0) continue;  // both refused: each adopted reference was released
        if (on_a) ids_a.push_back(static_cast<uint32_t>(r0));
      } else if (k == 4 && on_a && !ids_a.empty()) {
        uint32_t j = pick(static_cast<uint32_t>(ids_a.size()));
        for (World& x : w) ASSERT_TRUE(x.a->table.remove(ids_a[j]));
        ids_a.erase(ids_a.begin() + j);
      } else if (k == 5 && pick(40) == 0) {
        // A sender's slot taken and freed until its generation is about to
        // wrap: a move out of it then retires it instead of reusing it.
        Obj* o = new Obj(ObjType::Test);
        uint32_t id[2] = {0, 0};
        for (int i = 0; i < 2; ++i) {
          for (;;) {
            o->retain();
            auto r = w[i].a->table.insert(Ref<KObject>::adopt(o), 0);
            if (!r) break;
            id[i] = *r;
            if (capid_generation(id[i]) >= 0xFFFF) break;  // left in the table
            ASSERT_TRUE(w[i].a->table.remove(id[i]));
          }
        }
        o->release();  // the creator's
        ASSERT_EQ(id[0], id[1]);
        if (id[0] && capid_generation(id[0]) == 0xFFFF) {
          ids_a.push_back(id[0]);
          ++retired;
        }
      }
    }
    ASSERT_TRUE(same_table(*w[0].a, *w[1].a));
    ASSERT_TRUE(same_table(*w[0].b, *w[1].b));
    // One descriptor: mostly a live id, sometimes stale or forged, a bad
    // mode or reserved byte; to the other table or to the sender's own.
    CapTransferDesc d{};
    d.cap_id = !ids_a.empty() && pick(6) ? ids_a[pick(static_cast<uint32_t>(ids_a.size()))] : static_cast<uint32_t>(rng());
    d.mode = pick(10) ? (pick(2) ? XFER_COPY : XFER_MOVE) : static_cast<uint8_t>(pick(4));
    if (pick(12) == 0) d.reserved[pick(3)] = 1;
    bool self = pick(3) == 0;
    to_self += self;
    uint8_t out[2][16 + 3];
    memset(out, 0xa5, sizeof(out));
    int32_t got[2];
    {  // world 0: the one-cap path
      TransferTxn t;
      CapStatus st = t.prepare_one(w[0].a->table, d);
      if (st) st = t.deliver(self ? w[0].a->table : w[0].b->table, out[0] + 3);
      got[0] = code(st);
    }
    {  // world 1: the general steps, in the order the one-cap path keeps
      TransferTxn t;
      CapTable& dst = self ? w[1].a->table : w[1].b->table;
      CapStatus st = t.prepare(w[1].a->table, Span<const CapTransferDesc>(&d, 1));
      if (st) {
        if (auto room = dst.room_for_one(); !room) {
          st = room.error() == Err::Overloaded ? CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "quota")
                                               : CAPOS_CAP_FAIL(OVERLOADED, "full");
        } else {
          uint64_t iface = 0;
          t.peek(0, &iface);
          Ref<KObject> obj = t.take(0);
          uint32_t flags = served_ref(obj.get()) ? XFER_REC_SERVED : 0;
          CapTransferRecord rec{*dst.insert(std::move(obj), iface), flags, iface};
          memcpy(out[1] + 3, &rec, sizeof(rec));
          t.rollback();  // nothing left: the one item was taken
        }
      }
      got[1] = code(st);
    }
    ASSERT_EQ(got[0], got[1]) << "round " << round;
    ASSERT_EQ(memcmp(out[0], out[1], sizeof(out[0])), 0) << "round " << round;
    if (got[0] == 0) {
      ++delivered;
      CapTransferRecord rec;
      memcpy(&rec, out[0] + 3, sizeof(rec));
      served += rec.flags != 0;
    } else if (got[0] == CAP_ERR_OVERLOADED) {
      ++full;
    } else if (got[0] == CAP_ERR_QUOTA_EXCEEDED) {
      ++quota;
    } else {
      ++refused;
    }
    ASSERT_TRUE(same_table(*w[0].a, *w[1].a)) << "round " << round;
    ASSERT_TRUE(same_table(*w[0].b, *w[1].b)) << "round " << round;
    // The free lists in the same order: the next inserts get the same ids.
    for (int k = 0; k < 3; ++k) {
      for (bool on_a : {true, false}) {
        Obj* o = new Obj(ObjType::Test);
        o->retain();
        auto r0 = (on_a ? *w[0].a : *w[0].b).table.insert(Ref<KObject>::adopt(o), 0);
        auto r1 = (on_a ? *w[1].a : *w[1].b).table.insert(Ref<KObject>::adopt(o), 0);
        ASSERT_EQ(static_cast<bool>(r0), static_cast<bool>(r1));
        if (r0) ASSERT_EQ(*r0, *r1) << "round " << round;
      }
    }
  }
  EXPECT_GT(delivered, 800u);
  EXPECT_GT(to_self, 500u);
  EXPECT_GT(full + quota, 200u);
  EXPECT_GT(refused, 200u);
  EXPECT_GT(served, 100u);
  EXPECT_GT(retired, 10u);
}
