// The IPC records' life cycle (kernel/ipc/ipc_records.h): a call record is
// recycled with only the fields some allocation path reads before it
// writes them reset (the host build poisons the rest, ipc_env_host.h), and
// comes back from the process's spare or its cache. Each test runs on the
// generic drain and with the endpoint fast path first.
#include <gtest/gtest.h>
#include <string.h>

#include "lib/abi/errors.h"
#include "tests/host/ipc/ipc_harness.h"

using namespace capos;
using namespace capos::abi;
using namespace capos::test;

namespace {

std::vector<uint8_t> bytes(const char* s) { return std::vector<uint8_t>(s, s + strlen(s)); }

struct Mode {
  explicit Mode(bool on) { g_use_fast_path = on; }
  ~Mode() { g_use_fast_path = false; }
};

// A deferred owner that counts what the kernel asks of it.
struct CountingOwner final : DeferredOwner {
  int cancels = 0;
  void cancel(IpcCall*) override { ++cancels; }
};

// Every test's world: a server owning an endpoint, a client holding a
// client cap to it, and a deferred owner, on the generic drain or with
// the fast path first (the mode is set before the world is built).
struct EchoWorld : Mode {
  explicit EchoWorld(bool fast) : Mode(fast) {}
  World w;
  Process& server = w.spawn();
  Process& client = w.spawn();
  uint32_t owner = w.make_endpoint(server);
  uint32_t facet = w.grant_client(server, owner, client);
  CountingOwner own;
};

// A deferred operation (PARK's shape) from ring `slot`, left outstanding.
IpcCall* deferred(Process& p, CountingOwner& owner, uint64_t ud, uint8_t slot) {
  ipc::env::g_current_slot = slot;
  g_kernel_lock.acquire();
  auto c = ipc::defer_op(p, ud, owner, 0x1234);
  if (c) p.ring(slot).reserve();  // as the dispatcher does for a pending completion
  g_kernel_lock.release();
  ipc::env::g_current_slot = 0;
  return c ? *c : nullptr;
}

void thread_exit(Process& p, uint32_t slot) {
  g_kernel_lock.acquire();
  ipc::thread_exiting(p, slot);
  g_kernel_lock.release();
}

// A deferred operation (PARK's shape), completed, so its record is
// recycled with the owner still named in it unless recycle() resets it.
void deferred_round(World& w, Process& p, CountingOwner& owner, uint64_t ud) {
  g_kernel_lock.acquire();
  auto c = ipc::defer_op(p, ud, owner, 0x1234);
  if (c) {
    p.ring().reserve();  // as the dispatcher does for a pending completion
    ipc::complete_op(*c, 3);
  }
  g_kernel_lock.release();
  ASSERT_TRUE(c);
  auto cqe = w.reap(p);
  ASSERT_EQ(cqe.size(), 1u);
  EXPECT_EQ(cqe[0].user_data, ud);
  EXPECT_EQ(cqe[0].result, 3);
}

// An endpoint call on a record a deferred operation used: the caller's
// exit must orphan it (in flight) or unqueue it, never cancel it with the
// old owner; the server's late RETURN is discarded once.
TEST(IpcRecords, RecycledCallRecordsForgetTheirDeferredOwner) {
  for (bool fast : {false, true}) {
    for (bool in_flight : {false, true}) {
      EchoWorld e(fast);
      auto& [w, server, client, owner, facet, own] = e;
      deferred_round(w, client, own, 7);
      if (in_flight) w.recv(server, owner, 1, 0);
      w.call(client, facet, 2, bytes("x"), 1);
      uint32_t id = 0;
      if (in_flight) {
        auto s = w.reap(server);
        ASSERT_EQ(s.size(), 1u);
        id = s[0].call_id;
      }
      w.exit(client);
      EXPECT_EQ(own.cancels, 0) << "fast=" << fast << " in_flight=" << in_flight;
      EXPECT_TRUE(client.ledger().empty());
      if (in_flight) {
        w.ret(server, owner, 3, id, bytes("late"));
        auto r = w.reap(server);
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].result, 0);  // the orphan, accepted and discarded
      }
    }
  }
}

// A deferred operation on a record an endpoint call used (and the other
// way round, many times): each completion carries its own user data and
// result, and the caller's charges come back to zero.
TEST(IpcRecords, RecordsAlternateBetweenEndpointCallsAndDeferredOperations) {
  for (bool fast : {false, true}) {
    EchoWorld e(fast);
    auto& [w, server, client, owner, facet, own] = e;
    w.recv(server, owner, 1, 0);
    for (uint64_t i = 0; i < 20; ++i) {
      deferred_round(w, client, own, 1000 + i);
      w.call(client, facet, 10 + i, bytes("ping"), 1);
      auto s = w.reap(server);
      ASSERT_EQ(s.size(), 1u);
      EXPECT_EQ(s[0].aux, 7u);  // the method id World::call sends
      ASSERT_EQ(w.submit_batch(server, {World::ret_sqe(owner, 2, s[0].call_id, 4), World::recv_sqe(owner, 1, 0)}),
                2u);
      auto c = w.reap(client);
      ASSERT_EQ(c.size(), 1u);
      EXPECT_EQ(c[0].user_data, 10 + i);
      EXPECT_EQ(c[0].result, 4);
      w.reap(server);
    }
    EXPECT_EQ(own.cancels, 0);
    EXPECT_EQ(client.ledger().used(Res::OutstandingCalls), 0u);
    EXPECT_EQ(w.outstanding(client), 0u);
  }
}

// Records stay on their process's lists for life, outstanding or armed by
// state: a thread's exit must end exactly that thread's calls (queued,
// deferred) and RECVs, once, and leave the other thread's in flight and
// armed; the process's exit then ends the rest and frees every record.
TEST(IpcRecords, ThreadExitEndsOnlyThatThreadsRecordsOnce) {
  for (bool fast : {false, true}) {
    EchoWorld e(fast);
    auto& [w, server, client, owner, facet, own] = e;
    // Client: slot 0's call in flight, slot 1's queued and a deferred
    // operation of slot 1.
    w.recv(server, owner, 1, 0);
    w.call(client, facet, 10, bytes("in flight"), 0);
    auto s = w.reap(server);
    ASSERT_EQ(s.size(), 1u);
    ASSERT_EQ(w.submit(client, World::call_sqe(facet, 11, 1, 1), 1), 1u);
    ASSERT_NE(deferred(client, own, 12, 1), nullptr);
    EXPECT_EQ(w.outstanding(client), 3u);
    thread_exit(client, 1);
    EXPECT_EQ(own.cancels, 1);
    EXPECT_EQ(w.outstanding(client), 1u);
    EXPECT_EQ(client.ledger().used(Res::OutstandingCalls), 1u);
    EXPECT_EQ(client.ring(1).reserved(), 0u);
    EXPECT_EQ(client.ring(0).reserved(), 1u);
    thread_exit(client, 1);  // nothing left of that thread: changes nothing
    EXPECT_EQ(own.cancels, 1);
    EXPECT_EQ(w.outstanding(client), 1u);
    // The slot-1 call left the queue: the server's next RECV waits.
    ASSERT_EQ(w.submit_batch(server, {World::ret_sqe(owner, 2, s[0].call_id, 2), World::recv_sqe(owner, 3, 0)}), 2u);
    auto c = w.reap(client, 0);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].user_data, 10u);
    EXPECT_EQ(c[0].result, 2);
    EXPECT_TRUE(w.reap(client, 1).empty());
    EXPECT_EQ(w.outstanding(client), 0u);
    EXPECT_EQ(w.pending_recvs(server), 1u);

    // Server: a RECV armed on each ring; slot 1's thread ends.
    w.reap(server);
    w.submit(server, World::recv_sqe(owner, 4, 1), 1);
    EXPECT_EQ(w.pending_recvs(server), 2u);
    thread_exit(server, 1);
    EXPECT_EQ(w.pending_recvs(server), 1u);
    EXPECT_EQ(server.ring(1).reserved(), 0u);
    EXPECT_EQ(server.ring(0).reserved(), 1u);
    // The remaining RECV (slot 0) takes the next call.
    w.call(client, facet, 13, bytes("next"), 0);
    s = w.reap(server, 0);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].user_data, 3u);
    EXPECT_TRUE(w.reap(server, 1).empty());
    EXPECT_EQ(w.pending_recvs(server), 0u);
    EXPECT_EQ(w.serving(server), 1u);
    // The server ends with that call in flight: the caller learns it once.
    w.exit(server);
    c = w.reap(client, 0);
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0].result, CAP_ERR_DISCONNECTED);
    EXPECT_TRUE(server.ledger().empty());
    w.exit(client);
    EXPECT_TRUE(client.ledger().empty());
    EXPECT_EQ(own.cancels, 1);
  }
}

}  // namespace
