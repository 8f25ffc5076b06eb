// Model-based random test of the endpoint state machine: random sequences
// of CALL, RECV, RETURN (real, orphaned and forged call ids), deferred
// operations (PARK's shape: same records, completed or cancelled by their
// owner), caller exits and the endpoint's end, checked after every step
// against a simple model
// (a FIFO of queued calls, a FIFO of waiting RECVs, the calls in flight):
// every completion with its result and bytes, the outstanding-call and
// ring-reservation counts, and at the end ledgers that return to zero.
#include <gtest/gtest.h>
#include <string.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "lib/abi/errors.h"
#include "tests/host/ipc/ipc_harness.h"

using namespace capos;
using namespace capos::abi;
using namespace capos::test;

namespace {

constexpr int CLIENTS = 3;
constexpr uint32_t MAX_OUTSTANDING = 4;  // per client, below every kernel bound
constexpr uint32_t MAX_RECVS = 4;
constexpr uint32_t SMALL_RESULT = 4;
constexpr uint32_t MAX_DEFERRED = 2;  // per client, besides its calls

// The owner of deferred operations: the records it holds; a cancel of one
// it does not hold (twice, or never given) is counted as bad.
struct ModelOwner final : DeferredOwner {
  std::set<IpcCall*> live;
  int bad_cancels = 0;
  void cancel(IpcCall* c) override {
    if (!live.erase(c)) ++bad_cancels;
  }
};

struct Call {
  int client;
  uint64_t ud;
  uint32_t slot;
  std::vector<uint8_t> params;
  uint32_t result_len;
};

struct Expect {
  explicit Expect(int32_t r = 0) : result(r) {}
  int32_t result;
  uint32_t flags = 0;
  // For a delivery to the server: the call it carries. For a client's
  // successful answer: the reply bytes.
  bool delivery = false;
  Call call{};
  std::vector<uint8_t> reply;
};

class Model {
 public:
  explicit Model(uint32_t seed) : rng_(seed) {
    server_ = &w_.spawn();
    owner_ = w_.make_endpoint(*server_);
    for (int i = 0; i < CLIENTS; ++i) {
      clients_[i] = &w_.spawn();
      facets_[i] = w_.grant_client(*server_, owner_, *clients_[i]);
      for (uint32_t s = 0; s < MAX_OUTSTANDING; ++s) free_slots_[i].push_back(s);
    }
    for (uint32_t s = 0; s < MAX_RECVS; ++s) free_recv_slots_.push_back(s);
  }

  void step() {
    switch (pick(12)) {
      case 0: case 1: case 2: case 3: do_call(pick(CLIENTS)); break;
      case 4: case 5: case 6: do_recv(); break;
      case 7: case 8: case 9: do_return(); break;
      case 10:
        if (pick(40) == 0) do_exit_client(pick(CLIENTS));
        else if (pick(2)) do_defer(pick(CLIENTS));
        else do_complete_deferred();
        break;
      case 11: if (pick(150) == 0) end_endpoint(); break;
    }
    check();
  }

  void finish() {
    while (!deferred_.empty() && pick(2)) do_complete_deferred();  // the rest are cancelled by the exits
    if (!endpoint_dead_) end_endpoint();
    check();
    for (int i = 0; i < CLIENTS; ++i)
      if (client_alive_[i]) {
        w_.exit(*clients_[i]);
        client_alive_[i] = false;
        EXPECT_TRUE(clients_[i]->ledger().empty()) << "client " << i;
      }
    if (server_alive_) w_.exit(*server_);
    EXPECT_TRUE(server_->ledger().empty());
    EXPECT_TRUE(deferred_owner_.live.empty());
    EXPECT_EQ(deferred_owner_.bad_cancels, 0);
  }

  uint32_t steps_with_delivery = 0;
  uint32_t deferred_done = 0;  // deferred operations completed by their owner

 private:
  uint32_t pick(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }
  std::vector<uint8_t> random_bytes(uint32_t max) {
    std::vector<uint8_t> b(pick(max + 1));
    for (auto& x : b) x = static_cast<uint8_t>(pick(256));
    return b;
  }

  void do_call(int i) {
    if (!client_alive_[i] || free_slots_[i].empty()) return;
    Call c{i, next_ud_++, free_slots_[i].front(), random_bytes(64), pick(4) == 0 ? SMALL_RESULT : uint32_t(BUF_SLOT)};
    free_slots_[i].pop_front();
    ASSERT_EQ(w_.call(*clients_[i], facets_[i], c.ud, c.params, c.slot, c.result_len), 1u);
    ++outstanding_[i];
    if (endpoint_dead_) {
      complete_client(c, CAP_ERR_DISCONNECTED);
    } else if (!recvs_.empty()) {  // direct delivery to the first waiting RECV
      auto [ud, slot] = recvs_.front();
      recvs_.pop_front();
      expect_delivery(ud, slot, c);
    } else {
      queue_.push_back(c);
    }
  }

  void do_recv() {
    if (!server_alive_ || owner_released_ || free_recv_slots_.empty()) return;
    uint64_t ud = next_ud_++;
    uint32_t slot = free_recv_slots_.front();
    free_recv_slots_.pop_front();
    ASSERT_EQ(w_.recv(*server_, owner_, ud, slot), 1u);
    if (endpoint_dead_) {
      server_expect_[ud] = Expect{CAP_ERR_DISCONNECTED};
      recv_slot_of_[ud] = slot;
    } else if (!queue_.empty()) {
      Call c = queue_.front();
      queue_.pop_front();
      expect_delivery(ud, slot, c);
    } else {
      recvs_.push_back({ud, slot});
    }
  }

  void do_return() {
    if (!server_alive_ || owner_released_) return;
    uint64_t ud = next_ud_++;
    std::vector<uint8_t> reply = random_bytes(32);
    uint32_t r = pick(10);
    if (r < 7 && !inflight_.empty()) {  // a real call in flight
      auto it = std::next(inflight_.begin(), pick(static_cast<uint32_t>(inflight_.size())));
      uint32_t id = it->first;
      Call c = it->second;
      inflight_.erase(it);
      ASSERT_EQ(w_.ret(*server_, owner_, ud, id, reply), 1u);
      server_expect_[ud] = Expect{0};
      if (reply.size() > c.result_len) {
        complete_client(c, CAP_ERR_INVALID_RESULT_BUFFER);
      } else {
        Expect e{int32_t(reply.size())};
        e.reply = reply;
        e.call = c;
        client_expect_[c.client][c.ud] = e;
      }
    } else if (r < 9 && !orphans_.empty()) {  // its caller died: accepted once
      uint32_t id = orphans_.back();
      orphans_.pop_back();
      ASSERT_EQ(w_.ret(*server_, owner_, ud, id, reply), 1u);
      server_expect_[ud] = Expect{0};
      retired_.push_back(id);
    } else {  // forged, or an id already answered
      uint32_t id = !retired_.empty() && pick(2) ? retired_[pick(uint32_t(retired_.size()))] : uint32_t(rng_());
      if (inflight_.count(id) || std::count(orphans_.begin(), orphans_.end(), id)) return;
      ASSERT_EQ(w_.ret(*server_, owner_, ud, id, reply), 1u);
      server_expect_[ud] = Expect{CAP_ERR_INVALID_REQUEST};
    }
  }

  // A deferred operation on client i's ring 0, left with the owner.
  void do_defer(int i) {
    if (!client_alive_[i] || deferred_count(i) >= MAX_DEFERRED) return;
    uint64_t ud = next_ud_++;
    g_kernel_lock.acquire();
    auto c = ipc::defer_op(*clients_[i], ud, deferred_owner_, ud);
    if (c) clients_[i]->ring().reserve();  // as the dispatcher does for a pending completion
    g_kernel_lock.release();
    ASSERT_TRUE(c);
    deferred_owner_.live.insert(*c);
    deferred_.push_back({*c, i, ud});
    ++outstanding_[i];
  }
  // The owner completes one of them (a bare count, as complete_op posts).
  void do_complete_deferred() {
    if (deferred_.empty()) return;
    auto it = std::next(deferred_.begin(), pick(static_cast<uint32_t>(deferred_.size())));
    Deferred d = *it;
    deferred_.erase(it);
    ASSERT_EQ(deferred_owner_.live.erase(d.rec), 1u);
    int32_t n = static_cast<int32_t>(pick(100));
    g_kernel_lock.acquire();
    ipc::complete_op(d.rec, static_cast<uint32_t>(n));
    g_kernel_lock.release();
    ++deferred_done;
    Expect e{n};
    e.call.slot = 0;  // no reply bytes to compare
    client_expect_[d.client][d.ud] = e;
  }
  uint32_t deferred_count(int i) const {
    return static_cast<uint32_t>(std::count_if(deferred_.begin(), deferred_.end(), [i](const Deferred& d) { return d.client == i; }));
  }

  void do_exit_client(int i) {
    if (!client_alive_[i]) return;
    w_.exit(*clients_[i]);
    // Its deferred operations were cancelled with the owner, each once.
    for (auto it = deferred_.begin(); it != deferred_.end();) {
      if (it->client == i) {
        EXPECT_EQ(deferred_owner_.live.count(it->rec), 0u) << "deferred operation " << it->ud << " not cancelled";
        it = deferred_.erase(it);
      } else {
        ++it;
      }
    }
    EXPECT_EQ(deferred_owner_.bad_cancels, 0);
    client_alive_[i] = false;
    EXPECT_TRUE(clients_[i]->ledger().empty()) << "client " << i << " left a charge";
    // Its queued calls vanish; its calls in flight become orphans.
    queue_.erase(std::remove_if(queue_.begin(), queue_.end(), [&](const Call& c) { return c.client == i; }),
                 queue_.end());
    for (auto it = inflight_.begin(); it != inflight_.end();) {
      if (it->second.client == i) {
        orphans_.push_back(it->first);
        it = inflight_.erase(it);
      } else {
        ++it;
      }
    }
    // Deliveries of its calls not yet reaped by the server stay valid ids.
    for (auto& [ud, e] : server_expect_)
      if (e.delivery && e.call.client == i) e.call.client = -1;
    client_expect_[i].clear();
  }

  // Either the server releases its owner facet or the server exits.
  void end_endpoint() {
    if (endpoint_dead_) return;
    bool server_exits = server_alive_ && pick(2);
    if (server_exits) {
      w_.exit(*server_);
      server_alive_ = false;
      server_expect_.clear();
    } else if (server_alive_) {
      w_.release(*server_, owner_);
      server_expect_[World::RELEASE_UD] = Expect{0};
      owner_released_ = true;
      for (auto [ud, slot] : recvs_) server_expect_[ud] = Expect{CAP_ERR_DISCONNECTED};
    }
    endpoint_dead_ = true;
    recvs_.clear();
    for (const Call& c : queue_) complete_client(c, CAP_ERR_DISCONNECTED);
    queue_.clear();
    for (auto& [id, c] : inflight_) complete_client(c, CAP_ERR_DISCONNECTED);
    inflight_.clear();
    // Delivered but not yet reaped by the server: their callers learn too.
    for (auto& [ud, e] : server_expect_)
      if (e.delivery && e.call.client >= 0) {
        complete_client(e.call, CAP_ERR_DISCONNECTED);
        e.call.client = -1;
      }
    orphans_.clear();
  }

  void expect_delivery(uint64_t recv_ud, uint32_t slot, const Call& c) {
    Expect e{int32_t(sizeof(EndpointMessageHeader) + c.params.size())};
    e.delivery = true;
    e.call = c;
    server_expect_[recv_ud] = e;
    recv_slot_of_[recv_ud] = slot;
    ++steps_with_delivery;
  }

  void complete_client(const Call& c, int32_t result) { client_expect_[c.client][c.ud] = Expect{result}; }

  void check() {
    if (::testing::Test::HasFatalFailure()) return;
    // Server completions.
    if (server_alive_) {
      for (const CapCqe& q : w_.reap(*server_)) {
        auto it = server_expect_.find(q.user_data);
        ASSERT_NE(it, server_expect_.end()) << "unexpected server CQE " << q.user_data << " result " << q.result;
        const Expect& e = it->second;
        EXPECT_EQ(q.result, e.result) << "server CQE " << q.user_data;
        if (e.delivery) {
          uint32_t slot = recv_slot_of_[q.user_data];
          EndpointMessageHeader h;
          auto hb = w_.slot_bytes(*server_, slot, 0, sizeof(h));
          memcpy(&h, hb.data(), sizeof(h));
          EXPECT_EQ(h.call_id, q.call_id);
          EXPECT_EQ(h.params_len, e.call.params.size());
          EXPECT_EQ(w_.slot_bytes(*server_, slot, sizeof(h), e.call.params.size()), e.call.params);
          if (e.call.client >= 0) inflight_[q.call_id] = e.call;
          else if (!endpoint_dead_) orphans_.push_back(q.call_id);  // its caller died before we looked
        }
        if (recv_slot_of_.count(q.user_data)) {
          free_recv_slots_.push_back(recv_slot_of_[q.user_data]);
          recv_slot_of_.erase(q.user_data);
        }
        server_expect_.erase(it);
      }
      EXPECT_TRUE(server_expect_.empty()) << server_expect_.size() << " server completions missing";
      EXPECT_EQ(server_->ring().reserved(), recvs_.size());
      EXPECT_EQ(w_.pending_recvs(*server_), recvs_.size());
    }
    // Client completions.
    for (int i = 0; i < CLIENTS; ++i) {
      if (!client_alive_[i]) continue;
      for (const CapCqe& q : w_.reap(*clients_[i])) {
        auto it = client_expect_[i].find(q.user_data);
        ASSERT_NE(it, client_expect_[i].end()) << "unexpected client CQE " << q.user_data << " result " << q.result;
        EXPECT_EQ(q.result, it->second.result) << "client " << i << " CQE " << q.user_data;
        if (q.result >= 0)
          EXPECT_EQ(w_.slot_bytes(*clients_[i], it->second.call.slot, 0, it->second.reply.size()), it->second.reply);
        --outstanding_[i];
        client_expect_[i].erase(it);
      }
      // Slots of completed calls are free again.
      free_slots_[i].clear();
      std::vector<bool> used(MAX_OUTSTANDING);
      for (const Call& c : queue_) if (c.client == i) used[c.slot] = true;
      for (auto& [id, c] : inflight_) if (c.client == i) used[c.slot] = true;
      for (auto& [ud, e] : server_expect_) if (e.delivery && e.call.client == i) used[e.call.slot] = true;
      for (uint32_t s = 0; s < MAX_OUTSTANDING; ++s) if (!used[s]) free_slots_[i].push_back(s);
      EXPECT_TRUE(client_expect_[i].empty()) << client_expect_[i].size() << " completions missing for client " << i;
      EXPECT_EQ(clients_[i]->ledger().used(Res::OutstandingCalls), outstanding_[i]);
      EXPECT_EQ(clients_[i]->ring().reserved(), outstanding_[i]);
      EXPECT_EQ(w_.outstanding(*clients_[i]), outstanding_[i]);
    }
  }

  struct Deferred {
    IpcCall* rec;
    int client;
    uint64_t ud;
  };
  std::mt19937 rng_;
  ModelOwner deferred_owner_;  // outlives the world's processes (declared first)
  std::vector<Deferred> deferred_;
  World w_;
  Process* server_;
  Process* clients_[CLIENTS];
  uint32_t owner_;
  uint32_t facets_[CLIENTS];
  bool client_alive_[CLIENTS] = {true, true, true};
  bool server_alive_ = true;
  bool owner_released_ = false;
  bool endpoint_dead_ = false;
  uint64_t next_ud_ = 1;
  uint32_t outstanding_[CLIENTS] = {};
  std::deque<uint32_t> free_slots_[CLIENTS];
  std::deque<uint32_t> free_recv_slots_;
  std::deque<Call> queue_;
  std::deque<std::pair<uint64_t, uint32_t>> recvs_;  // (user_data, slot)
  std::map<uint32_t, Call> inflight_;                // by call id
  std::vector<uint32_t> orphans_, retired_;
  std::map<uint64_t, Expect> server_expect_;
  std::map<uint64_t, uint32_t> recv_slot_of_;
  std::map<uint64_t, Expect> client_expect_[CLIENTS];
};

TEST(IpcModel, RandomOperationSequencesMatchTheModel) {
  uint32_t deliveries = 0, deferred = 0;
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Model m(seed);
    for (int i = 0; i < 400 && !::testing::Test::HasFailure(); ++i) m.step();
    m.finish();
    deliveries += m.steps_with_delivery;
    deferred += m.deferred_done;
    if (::testing::Test::HasFailure()) break;
  }
  EXPECT_GT(deliveries, 10000u);  // the sequences really exercise delivery
  EXPECT_GT(deferred, 1000u);     // and records shared with deferred operations
}

// The same sequences with the endpoint fast path tried before every drain
// (kernel/ipc/fast_path.cpp): its CALLs must keep every outcome the model
// expects.
TEST(IpcModel, RandomOperationSequencesMatchTheModelThroughTheFastPath) {
  capos::test::g_use_fast_path = true;
  uint64_t before = capos::ipc::env::g_fast_sqes;
  for (uint32_t seed = 1; seed <= 100; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    Model m(seed);
    for (int i = 0; i < 400 && !::testing::Test::HasFailure(); ++i) m.step();
    m.finish();
    if (::testing::Test::HasFailure()) break;
  }
  capos::test::g_use_fast_path = false;
  EXPECT_GT(capos::ipc::env::g_fast_sqes, before + 1000);
}

}  // namespace
