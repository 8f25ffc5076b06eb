// Model-based random test of TransferTxn (kernel/cap/transfer.h) against
// the rules it must keep, on random sender and receiver tables: random
// occupancy, stale and forged ids, non-transferable caps, duplicate
// descriptors, full receiver tables and exhausted quotas. Every step is
// checked against a plain model (a map per table from CapId to object and
// interface): the outcome and its error, which caps each side holds, the
// ledgers (used, and nothing left reserved), and every object's reference
// count. prepare_one() and prepare() of one descriptor must agree, and
// commit(), commit_to() and deliver() (reserve + commit in one step, with
// its own path for one cap) must keep the same rules.
#include <gtest/gtest.h>
#include <string.h>

#include <map>
#include <random>
#include <set>
#include <vector>

#include "kernel/cap/transfer.h"

using namespace capos;
using namespace capos::abi;

namespace {

struct Obj final : KObject {
  static inline int live = 0;
  Obj() : KObject(ObjType::Test) { ++live; }
  void destroy() override {
    --live;
    delete this;
  }
};

struct Held {
  KObject* obj;
  uint64_t iface;
  uint8_t flags;
};

struct Side {
  std::vector<CapSlot> storage;
  ResourceLedger ledger;
  CapTable table;
  std::map<uint32_t, Held> model;
  explicit Side(uint32_t slots) : storage(slots), table(Span<CapSlot>(storage.data(), slots), &ledger) {}
};

int32_t code(const CapStatus& s) {
  if (s) return 0;
  EXPECT_NE(s.error().detail()[0], '\0');
  return s.error().cqe_result();
}

class TransferModel {
 public:
  explicit TransferModel(uint32_t seed)
      : rng_(seed), a_(4 + rng_() % 21), b_(2 + rng_() % 23) {}
  ~TransferModel() {
    a_.table.clear();
    b_.table.clear();
  }

  void run(int steps) {
    for (int i = 0; i < steps; ++i) {
      churn();
      transfer();
      check();
    }
  }

  uint32_t committed = 0, refused = 0, receiver_full = 0, quota = 0, kernel_taken = 0;

 private:
  uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

  // Random inserts and removals on both sides; sometimes a new limit.
  void churn() {
    for (uint32_t k = pick(4); k-- > 0;) {
      Side& s = pick(3) ? a_ : b_;
      bool fresh = objects_.empty() || pick(3) != 0;  // else the same object in a second slot
      KObject* obj = fresh ? new Obj() : objects_[pick(static_cast<uint32_t>(objects_.size()))];
      uint8_t flags = pick(6) == 0 ? CAP_F_NO_TRANSFER : 0;
      uint64_t iface = 100 + pick(5);
      auto id = s.table.insert(fresh ? Ref<KObject>::adopt(obj) : Ref<KObject>::share(obj), iface, flags);
      if (!id) continue;  // full: the reference went back (a fresh object with it)
      if (fresh) objects_.push_back(obj);
      s.model[*id] = Held{obj, iface, flags};
    }
    for (uint32_t k = pick(3); k-- > 0;) {
      Side& s = pick(2) ? a_ : b_;
      if (s.model.empty()) continue;
      auto it = s.model.begin();
      std::advance(it, pick(static_cast<uint32_t>(s.model.size())));
      ASSERT_TRUE(s.table.remove(it->first).ok());
      stale_.push_back(it->first);
      s.model.erase(it);
    }
    if (pick(5) == 0) b_.ledger.set_limit(Res::CapSlots, b_.ledger.used(Res::CapSlots) + pick(5));
    if (pick(7) == 0) b_.ledger.set_limit(Res::CapSlots, 256);
  }

  CapTransferDesc random_desc() {
    CapTransferDesc d{0, pick(2) ? XFER_COPY : XFER_MOVE, {0, 0, 0}};
    uint32_t r = pick(20);
    if (r < 15 && !a_.model.empty()) {
      auto it = a_.model.begin();
      std::advance(it, pick(static_cast<uint32_t>(a_.model.size())));
      d.cap_id = it->first;
    } else if (r < 17 && !stale_.empty()) {
      d.cap_id = stale_[pick(static_cast<uint32_t>(stale_.size()))];
    } else {
      d.cap_id = static_cast<uint32_t>(rng_());  // forged
    }
    if (pick(40) == 0) d.mode = static_cast<uint8_t>(pick(256));
    if (pick(40) == 0) d.reserved[pick(3)] = static_cast<uint8_t>(1 + pick(255));
    return d;
  }

  // Whether the descriptors are all valid, as prepare() must decide.
  bool model_valid(const std::vector<CapTransferDesc>& ds) {
    if (ds.size() > XFER_MAX) return false;
    std::set<uint32_t> pinned;
    for (const CapTransferDesc& d : ds) {
      if ((d.mode != XFER_COPY && d.mode != XFER_MOVE) || d.reserved[0] || d.reserved[1] || d.reserved[2])
        return false;
      auto it = a_.model.find(d.cap_id);
      if (it == a_.model.end() || pinned.count(d.cap_id) || (it->second.flags & CAP_F_NO_TRANSFER)) return false;
      if (d.mode == XFER_MOVE) pinned.insert(d.cap_id);
    }
    return true;
  }

  void transfer() {
    uint32_t n = 1 + (pick(4) == 0 ? pick(XFER_MAX + 1) : pick(3));
    std::vector<CapTransferDesc> ds;
    for (uint32_t i = 0; i < n; ++i) ds.push_back(random_desc());
    if (pick(6) == 0 && !ds.empty()) ds.push_back(ds[pick(n)]);  // a duplicate
    bool valid = model_valid(ds);
    TransferTxn t;
    CapStatus st;
    if (ds.size() == 1 && pick(2)) {
      st = t.prepare_one(a_.table, ds[0]);
      TransferTxn general;  // the same decision through the general entry, on a clean table
      if (!st) {
        EXPECT_EQ(code(general.prepare(a_.table, Span<const CapTransferDesc>(ds.data(), 1))), code(st));
        EXPECT_TRUE(general.empty());
      }
    } else {
      st = t.prepare(a_.table, Span<const CapTransferDesc>(ds.data(), ds.size()));
    }
    if (!valid) {
      ++refused;
      EXPECT_EQ(code(st), CAP_ERR_INVALID_TRANSFER);
      EXPECT_TRUE(t.empty());
      return;
    }
    ASSERT_EQ(code(st), 0);
    ASSERT_EQ(t.count(), ds.size());
    for (const CapTransferDesc& d : ds)  // moves are pinned while prepared
      if (d.mode == XFER_MOVE) EXPECT_EQ(a_.table.lookup(d.cap_id).error(), Err::Busy);
    if (pick(5) == 0) {
      kernel_receiver(t, ds);
      return;
    }
    uint32_t free_slots = b_.table.capacity() - b_.table.live();
    uint64_t room = b_.ledger.remaining(Res::CapSlots);
    int32_t want = 0;
    if (ds.size() > free_slots || ds.size() > room) want = free_slots <= room ? CAP_ERR_OVERLOADED : CAP_ERR_QUOTA_EXCEEDED;
    if (want == CAP_ERR_OVERLOADED) ++receiver_full;
    if (want == CAP_ERR_QUOTA_EXCEEDED) ++quota;
    std::vector<CapTransferRecord> rec(ds.size());
    std::vector<uint8_t> bytes(ds.size() * sizeof(CapTransferRecord) + 3);  // records unaligned, as after a payload
    if (pick(3) == 0) {  // reserve and commit in one step
      if (pick(4) == 0) ASSERT_EQ(code(t.reserve(b_.table)), want);  // a reservation before is given back first
      EXPECT_EQ(code(t.deliver(b_.table, bytes.data() + 3)), want);
      EXPECT_EQ(b_.ledger.reserved(Res::CapSlots), 0u);
      if (want) return;  // the destructor rolls back
      memcpy(rec.data(), bytes.data() + 3, ds.size() * sizeof(CapTransferRecord));
    } else {
      CapStatus r = t.reserve(b_.table);
      if (r && pick(4) == 0) r = t.reserve(b_.table);  // a second delivery attempt reserves afresh
      EXPECT_EQ(code(r), want);
      EXPECT_EQ(b_.ledger.reserved(Res::CapSlots), want ? 0u : ds.size());
      if (want || pick(6) == 0) {  // the delivery fails elsewhere: everything goes back
        if (pick(2)) t.release_reservations();
        if (pick(2)) t.rollback();
        return;  // else the destructor rolls back
      }
      if (pick(2)) {
        t.commit(rec.data());
      } else {
        t.commit_to(bytes.data() + 3);
        memcpy(rec.data(), bytes.data() + 3, ds.size() * sizeof(CapTransferRecord));
      }
    }
    EXPECT_TRUE(t.empty());
    ++committed;
    std::set<uint32_t> seen;
    for (size_t i = 0; i < ds.size(); ++i) {
      const Held src = a_.model.at(ds[i].cap_id);
      EXPECT_EQ(rec[i].interface_id, src.iface);
      EXPECT_EQ(rec[i].flags, 0u);  // test objects are not served by a process
      EXPECT_TRUE(seen.insert(rec[i].cap_id).second) << "two records name one slot";
      b_.model[rec[i].cap_id] = Held{src.obj, src.iface, 0};
    }
    for (const CapTransferDesc& d : ds)
      if (d.mode == XFER_MOVE) a_.model.erase(d.cap_id);  // after all records: a copy may follow its move
  }

  // The kernel as the receiver: some items taken, the rest rolled back.
  void kernel_receiver(TransferTxn& t, const std::vector<CapTransferDesc>& ds) {
    std::vector<Ref<KObject>> taken;
    for (uint32_t i = 0; i < ds.size(); ++i) {
      uint64_t iface = 0;
      KObject* o = t.peek(i, &iface);
      ASSERT_NE(o, nullptr);
      EXPECT_EQ(o, a_.model.at(ds[i].cap_id).obj);
      EXPECT_EQ(iface, a_.model.at(ds[i].cap_id).iface);
      if (pick(2)) continue;
      taken.push_back(t.take(i));
      EXPECT_EQ(taken.back().get(), o);
      EXPECT_EQ(t.peek(i, nullptr), nullptr);
      EXPECT_FALSE(t.take(i));
      ++kernel_taken;
      if (ds[i].mode == XFER_MOVE) moved_out_.push_back(ds[i].cap_id);
    }
    t.rollback();
    for (uint32_t id : moved_out_) a_.model.erase(id);
    moved_out_.clear();
    // The kernel drops what it took (a receiver that keeps nothing).
  }

  void check() {
    for (Side* s : {&a_, &b_}) {
      EXPECT_EQ(s->table.live(), s->model.size());
      EXPECT_EQ(s->ledger.used(Res::CapSlots), s->model.size());
      EXPECT_EQ(s->ledger.reserved(Res::CapSlots), 0u);
      for (auto& [id, h] : s->model) {
        auto slot = s->table.lookup(id);
        ASSERT_TRUE(slot.ok()) << "cap " << id << " lost";
        EXPECT_EQ((*slot)->object, h.obj);
        EXPECT_EQ((*slot)->interface_id, h.iface);
        EXPECT_EQ((*slot)->flags, h.flags);
      }
    }
    std::map<KObject*, uint32_t> refs;
    for (Side* s : {&a_, &b_})
      for (auto& [id, h] : s->model) ++refs[h.obj];
    std::vector<KObject*> alive;
    for (KObject* o : objects_) {
      auto it = refs.find(o);
      if (it == refs.end()) continue;  // destroyed with its last cap
      EXPECT_EQ(o->refs(), it->second);
      alive.push_back(o);
    }
    objects_ = alive;
    EXPECT_EQ(Obj::live, static_cast<int>(objects_.size()) + base_live_);
  }

  std::mt19937 rng_;
  Side a_, b_;
  std::vector<KObject*> objects_;
  std::vector<uint32_t> stale_;
  std::vector<uint32_t> moved_out_;
  int base_live_ = Obj::live;
};

TEST(TransferModel, RandomTablesMatchTheModel) {
  uint32_t committed = 0, refused = 0, full = 0, quota = 0, taken = 0;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    TransferModel m(seed);
    m.run(60);
    if (HasFailure()) FAIL() << "seed " << seed;
    committed += m.committed;
    refused += m.refused;
    full += m.receiver_full;
    quota += m.quota;
    taken += m.kernel_taken;
  }
  // Every outcome was exercised.
  EXPECT_GT(committed, 1000u);
  EXPECT_GT(refused, 1000u);
  EXPECT_GT(full, 100u);
  EXPECT_GT(quota, 100u);
  EXPECT_GT(taken, 100u);
  EXPECT_EQ(Obj::live, 0);
}

}  // namespace
