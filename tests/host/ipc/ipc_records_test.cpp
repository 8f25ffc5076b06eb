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
      Mode m(fast);
      World w;
      Process& server = w.spawn();
      Process& client = w.spawn();
      uint32_t owner = w.make_endpoint(server);
      uint32_t facet = w.grant_client(server, owner, client);
      CountingOwner own;
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
    Mode m(fast);
    World w;
    Process& server = w.spawn();
    Process& client = w.spawn();
    uint32_t owner = w.make_endpoint(server);
    uint32_t facet = w.grant_client(server, owner, client);
    CountingOwner own;
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

}  // namespace
