// The endpoint state machine (kernel/ipc/ipc.cpp) on the host: CALL ->
// RECV -> RETURN on both paths, direct handoff, disconnect, orphaned
// calls, capability transfer rollback and bad buffers, each checked for
// its completions, payload bytes and the ledger charges it leaves.
#include <gtest/gtest.h>
#include <string.h>

#include "lib/abi/errors.h"
#include "tests/host/ipc/ipc_harness.h"

using namespace capos;
using namespace capos::abi;
using namespace capos::test;

namespace {

std::vector<uint8_t> bytes(const char* s) { return std::vector<uint8_t>(s, s + strlen(s)); }

EndpointMessageHeader header(World& w, Process& p, uint32_t slot) {
  EndpointMessageHeader h;
  auto b = w.slot_bytes(p, slot, 0, sizeof(h));
  memcpy(&h, b.data(), sizeof(h));
  return h;
}

struct Pair {
  World w;
  Process& server = w.spawn();
  Process& client = w.spawn();
  uint32_t owner = w.make_endpoint(server);
  uint32_t facet = w.grant_client(server, owner, client);
};

TEST(Ipc, QueuedCallIsDeliveredByRecvAndAnsweredByReturn) {
  Pair t;
  uint64_t kernel_bytes = t.client.ledger().used(Res::KernelBytes);
  ASSERT_EQ(t.w.call(t.client, t.facet, 11, bytes("ping"), 0), 1u);
  EXPECT_TRUE(t.w.reap(t.client).empty());  // queued: pending
  EXPECT_EQ(t.client.ledger().used(Res::OutstandingCalls), 1u);

  t.w.recv(t.server, t.owner, 21, 0);
  auto s = t.w.reap(t.server);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].user_data, 21u);
  EXPECT_EQ(s[0].result, int32_t(sizeof(EndpointMessageHeader) + 4));
  EXPECT_EQ(s[0].aux, 7u);
  EndpointMessageHeader h = header(t.w, t.server, 0);
  EXPECT_EQ(h.call_id, s[0].call_id);
  EXPECT_EQ(h.method_id, 7u);
  EXPECT_EQ(h.interface_id, 0x1234u);
  EXPECT_EQ(h.params_len, 4u);
  EXPECT_EQ(h.flags, MSG_F_SESSION_LIVE);
  EXPECT_EQ(t.w.slot_bytes(t.server, 0, sizeof(h), 4), bytes("ping"));
  EXPECT_EQ(t.w.serving(t.server), 1u);

  uint32_t directs = t.client.direct_wakes;
  t.w.ret(t.server, t.owner, 31, s[0].call_id, bytes("pong!"));
  EXPECT_EQ(t.client.direct_wakes, directs + 1);  // RETURN switches straight back to the caller
  auto r = t.w.reap(t.server);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, 0);
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].user_data, 11u);
  EXPECT_EQ(c[0].result, 5);
  EXPECT_EQ(t.w.slot_bytes(t.client, 0, 0, 5), bytes("pong!"));
  EXPECT_EQ(t.client.ledger().used(Res::OutstandingCalls), 0u);
  EXPECT_EQ(t.w.outstanding(t.client), 0u);
  EXPECT_EQ(t.w.serving(t.server), 0u);
  EXPECT_EQ(t.client.ring().reserved(), 0u);
  // The record is cached for the next call, and charged once.
  EXPECT_EQ(t.client.ledger().used(Res::KernelBytes), kernel_bytes + sizeof(IpcCall));
}

TEST(Ipc, WaitingRecvTakesTheCallDirectlyAndTheServerRunsNext) {
  Pair t;
  t.w.recv(t.server, t.owner, 21, 3);
  EXPECT_TRUE(t.w.reap(t.server).empty());
  EXPECT_EQ(t.w.pending_recvs(t.server), 1u);
  uint32_t handoffs = t.server.handoff_wakes, directs = t.server.direct_wakes;
  t.w.call(t.client, t.facet, 11, bytes("direct"), 0);
  EXPECT_EQ(t.server.handoff_wakes, handoffs + 1);  // runs next
  EXPECT_EQ(t.server.direct_wakes, directs + 1);    // by the endpoint direct switch
  auto s = t.w.reap(t.server);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].user_data, 21u);
  EXPECT_EQ(t.w.slot_bytes(t.server, 3, sizeof(EndpointMessageHeader), 6), bytes("direct"));
  // Never queued: no kernel copy of the params was charged.
  EXPECT_EQ(t.client.ledger().used(Res::KernelBytes), sizeof(IpcCall));
  t.w.ret(t.server, t.owner, 31, s[0].call_id, bytes("ok"));
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, 2);
}

TEST(Ipc, ExceptionReturnIsFlaggedAndTruncationReported) {
  Pair t;
  t.w.recv(t.server, t.owner, 1, 0);
  t.w.call(t.client, t.facet, 2, bytes("x"), 0, 4);  // 4-byte result buffer
  auto s = t.w.reap(t.server);
  ASSERT_EQ(s.size(), 1u);
  t.w.ret(t.server, t.owner, 3, s[0].call_id, bytes("too long"), true);
  EXPECT_EQ(t.w.reap(t.server)[0].result, 0);  // the RETURN itself succeeded
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, CAP_ERR_APPLICATION_EXCEPTION_TRUNCATED);

  t.w.recv(t.server, t.owner, 1, 0);
  t.w.call(t.client, t.facet, 4, bytes("x"), 1);
  s = t.w.reap(t.server);
  t.w.ret(t.server, t.owner, 3, s[0].call_id, bytes("boom"), true);
  c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, CAP_ERR_APPLICATION_EXCEPTION);
  EXPECT_EQ(c[0].flags & CQE_F_EXCEPTION, CQE_F_EXCEPTION);
  EXPECT_EQ(t.w.slot_bytes(t.client, 1, 0, 4), bytes("boom"));
}

TEST(Ipc, ReleasingTheOwnerDisconnectsQueuedPendingAndInFlightCalls) {
  World w;
  Process& server = w.spawn();
  Process& a = w.spawn();
  Process& b = w.spawn();
  uint32_t owner = w.make_endpoint(server);
  uint32_t fa = w.grant_client(server, owner, a);
  uint32_t fb = w.grant_client(server, owner, b);
  w.call(a, fa, 1, bytes("in flight"), 0);
  w.recv(server, owner, 10, 0);
  auto s = w.reap(server);
  ASSERT_EQ(s.size(), 1u);
  w.call(b, fb, 2, bytes("queued"), 0);
  w.call(b, fb, 3, bytes("queued too"), 1);
  w.release(server, owner);
  auto ca = w.reap(a), cb = w.reap(b);
  ASSERT_EQ(ca.size(), 1u);
  EXPECT_EQ(ca[0].result, CAP_ERR_DISCONNECTED);
  ASSERT_EQ(cb.size(), 2u);
  EXPECT_EQ(cb[0].user_data, 2u);
  EXPECT_EQ(cb[0].result, CAP_ERR_DISCONNECTED);
  EXPECT_EQ(cb[1].result, CAP_ERR_DISCONNECTED);
  EXPECT_EQ(a.ledger().used(Res::OutstandingCalls) + b.ledger().used(Res::OutstandingCalls), 0u);
  EXPECT_EQ(b.ledger().used(Res::KernelBytes), 2 * sizeof(IpcCall));  // queued params copies returned
  // A later call fails at once.
  w.call(a, fa, 4, bytes("late"), 0);
  auto late = w.reap(a);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].result, CAP_ERR_DISCONNECTED);
}

TEST(Ipc, PendingRecvCompletesDisconnectedWhenTheEndpointDies) {
  World w;
  Process& server = w.spawn();
  Process& holder = w.spawn();
  uint32_t owner = w.make_endpoint(server);
  // A second owner facet keeps the endpoint alive until both are gone.
  uint32_t facet = w.grant_client(server, owner, holder);
  (void)facet;
  w.recv(server, owner, 5, 0);
  w.recv(server, owner, 6, 1);
  EXPECT_EQ(server.ring().reserved(), 2u);
  w.release(server, owner);
  auto s = w.reap(server);
  ASSERT_EQ(s.size(), 3u);  // both RECVs, then the RELEASE itself
  EXPECT_EQ(s[0].user_data, 5u);
  EXPECT_EQ(s[0].result, CAP_ERR_DISCONNECTED);
  EXPECT_EQ(s[1].user_data, 6u);
  EXPECT_EQ(s[1].result, CAP_ERR_DISCONNECTED);
  EXPECT_EQ(s[2].user_data, World::RELEASE_UD);
  EXPECT_EQ(s[2].result, 0);
  EXPECT_EQ(server.ring().reserved(), 0u);
}

TEST(Ipc, ServerExitFailsTheCallsItServed) {
  Pair t;
  t.w.call(t.client, t.facet, 1, bytes("a"), 0);
  t.w.recv(t.server, t.owner, 1, 0);
  t.w.call(t.client, t.facet, 2, bytes("b"), 1);  // queued behind
  uint32_t directs = t.client.direct_wakes;
  t.w.exit(t.server);
  // Completions outside a CALL/RETURN never ask for a direct switch: the
  // exiting server does not block in a cap_enter that could switch.
  EXPECT_EQ(t.client.direct_wakes, directs);
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].result, CAP_ERR_DISCONNECTED);
  EXPECT_EQ(c[1].result, CAP_ERR_DISCONNECTED);
  EXPECT_EQ(t.client.ledger().used(Res::OutstandingCalls), 0u);
  EXPECT_TRUE(t.server.ledger().empty());
}

TEST(Ipc, ReturnToADeadCallerIsAcceptedOnceAndDiscarded) {
  Pair t;
  t.w.call(t.client, t.facet, 1, bytes("bye"), 0);
  t.w.recv(t.server, t.owner, 1, 0);
  auto s = t.w.reap(t.server);
  ASSERT_EQ(s.size(), 1u);
  uint32_t id = s[0].call_id;
  t.w.exit(t.client);
  EXPECT_TRUE(t.client.ledger().empty());  // the record went with the caller
  EXPECT_EQ(t.w.serving(t.server), 0u);
  t.w.ret(t.server, t.owner, 2, id, bytes("late answer"));
  auto r = t.w.reap(t.server);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, 0);  // accepted, discarded
  t.w.ret(t.server, t.owner, 3, id, bytes("again"));
  r = t.w.reap(t.server);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, CAP_ERR_INVALID_REQUEST);  // an orphan is taken once
}

TEST(Ipc, ForgedAndForeignCallIdsAreRejectedWithoutSideEffects) {
  World w;
  Process& server = w.spawn();
  Process& other = w.spawn();
  Process& client = w.spawn();
  uint32_t owner = w.make_endpoint(server);
  uint32_t facet = w.grant_client(server, owner, client);
  uint32_t other_owner = w.make_endpoint(other);
  w.call(client, facet, 1, bytes("q"), 0);
  w.recv(server, owner, 1, 0);
  auto s = w.reap(server);
  ASSERT_EQ(s.size(), 1u);
  w.ret(server, owner, 2, s[0].call_id + 1, bytes("forged"));
  w.ret(other, other_owner, 3, s[0].call_id, bytes("foreign endpoint"));
  EXPECT_EQ(w.reap(server)[0].result, CAP_ERR_INVALID_REQUEST);
  EXPECT_EQ(w.reap(other)[0].result, CAP_ERR_INVALID_REQUEST);
  EXPECT_TRUE(w.reap(client).empty());  // still in flight
  w.ret(server, owner, 4, s[0].call_id, bytes("real"));
  auto c = w.reap(client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, 4);
}

TEST(Ipc, BadBuffersFailTheRightSide) {
  Pair t;
  // Unmapped params: the CALL fails at once, nothing is charged.
  CapSqe s{};
  s.opcode = CAP_OP_CALL;
  s.cap_id = t.facet;
  s.params_addr = UNMAPPED_VA;
  s.params_len = 8;
  s.result_addr = World::slot_va(0);
  s.result_len = 64;
  t.w.submit(t.client, s);
  EXPECT_EQ(t.w.reap(t.client)[0].result, CAP_ERR_INVALID_PARAMS_BUFFER);
  // A result buffer in read-only memory.
  s.params_addr = PARAMS_VA;
  s.result_addr = PARAMS_VA;
  t.w.submit(t.client, s);
  EXPECT_EQ(t.w.reap(t.client)[0].result, CAP_ERR_INVALID_RESULT_BUFFER);
  EXPECT_EQ(t.client.ledger().used(Res::OutstandingCalls), 0u);

  // A RECV buffer too small for the queued call fails that RECV; the call
  // stays queued for a RECV that can take it.
  t.w.call(t.client, t.facet, 1, std::vector<uint8_t>(100, 0xab), 0);
  t.w.recv(t.server, t.owner, 2, 0, sizeof(EndpointMessageHeader) + 10);
  auto r = t.w.reap(t.server);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, CAP_ERR_INVALID_RESULT_BUFFER);
  t.w.recv(t.server, t.owner, 3, 0);
  r = t.w.reap(t.server);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, int32_t(sizeof(EndpointMessageHeader) + 100));
  EXPECT_EQ(t.w.slot_bytes(t.server, 0, sizeof(EndpointMessageHeader), 100), std::vector<uint8_t>(100, 0xab));
}

TEST(Ipc, EachCallerMayQueueOnlyItsShare) {
  Pair t;
  for (uint32_t i = 0; i < ENDPOINT_QUEUE_PER_CALLER; ++i) t.w.call(t.client, t.facet, i, bytes("q"), i);
  EXPECT_TRUE(t.w.reap(t.client).empty());
  t.w.call(t.client, t.facet, 99, bytes("q"), 20);
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].user_data, 99u);
  EXPECT_EQ(c[0].result, CAP_ERR_QUOTA_EXCEEDED);
  EXPECT_EQ(t.client.ledger().used(Res::OutstandingCalls), ENDPOINT_QUEUE_PER_CALLER);
  // Another caller is not affected.
  Process& other = t.w.spawn();
  uint32_t f2 = t.w.grant_client(t.server, t.owner, other);
  t.w.call(other, f2, 1, bytes("fair"), 0);
  EXPECT_TRUE(t.w.reap(other).empty());
}

TEST(Ipc, CallTransferMovesCapsOrRollsBackWhenTheServerCannotTakeThem) {
  Pair t;
  Process& extra = t.w.spawn();
  uint32_t extra_owner = t.w.make_endpoint(extra);
  uint32_t gift = t.w.grant_client(extra, extra_owner, t.client);  // the cap the client sends
  uint64_t client_slots = t.client.ledger().used(Res::CapSlots);
  // The server may hold no more caps: the receiver preflight fails, the
  // call fails, the RECV stays and the client keeps its cap.
  t.server.ledger().set_limit(Res::CapSlots, t.server.ledger().used(Res::CapSlots));
  t.w.recv(t.server, t.owner, 1, 0);
  t.w.call(t.client, t.facet, 2, bytes("with cap"), 0, BUF_SLOT, {CapTransferDesc{gift, XFER_MOVE, {}}});
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, CAP_ERR_QUOTA_EXCEEDED);
  EXPECT_EQ(t.client.ledger().used(Res::CapSlots), client_slots);
  {
    g_kernel_lock.acquire();
    EXPECT_TRUE(t.client.caps().lookup(gift).ok());
    g_kernel_lock.release();
  }
  EXPECT_EQ(t.w.pending_recvs(t.server), 1u);
  // With room the move commits: the server's record names its new cap.
  t.server.ledger().set_limit(Res::CapSlots, 256);
  t.w.call(t.client, t.facet, 3, bytes("with cap"), 1, BUF_SLOT, {CapTransferDesc{gift, XFER_MOVE, {}}});
  auto s = t.w.reap(t.server);
  ASSERT_EQ(s.size(), 1u);
  EndpointMessageHeader h = header(t.w, t.server, 0);
  EXPECT_EQ(h.xfer_count, 1u);
  CapTransferRecord rec;
  auto rb = t.w.slot_bytes(t.server, 0, sizeof(h) + 8, sizeof(rec));
  memcpy(&rec, rb.data(), sizeof(rec));
  g_kernel_lock.acquire();
  EXPECT_FALSE(t.client.caps().lookup(gift).ok());  // moved
  EXPECT_TRUE(t.server.caps().lookup(rec.cap_id).ok());
  g_kernel_lock.release();
  EXPECT_EQ(t.client.ledger().used(Res::CapSlots), client_slots - 1);
}

TEST(Ipc, BadTransferDescriptorFailsTheCallAndChangesNothing) {
  Pair t;
  uint64_t slots = t.client.ledger().used(Res::CapSlots);
  t.w.call(t.client, t.facet, 1, bytes("x"), 0, BUF_SLOT, {CapTransferDesc{t.facet, XFER_MOVE, {}},
                                                           CapTransferDesc{0xdead, XFER_COPY, {}}});
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, CAP_ERR_INVALID_TRANSFER);
  EXPECT_EQ(t.client.ledger().used(Res::CapSlots), slots);
  EXPECT_EQ(t.client.ledger().used(Res::OutstandingCalls), 0u);
  // The facet was pinned for the move and is usable again.
  t.w.call(t.client, t.facet, 2, bytes("y"), 0);
  EXPECT_TRUE(t.w.reap(t.client).empty());
}

TEST(Ipc, ReturnTransferRollsBackWhenTheCallerCannotTakeTheCaps) {
  Pair t;
  uint32_t spare = t.w.make_endpoint(t.server);  // a cap the server returns
  t.w.call(t.client, t.facet, 1, bytes("give"), 0);
  t.w.recv(t.server, t.owner, 1, 0);
  auto s = t.w.reap(t.server);
  ASSERT_EQ(s.size(), 1u);
  t.client.ledger().set_limit(Res::CapSlots, t.client.ledger().used(Res::CapSlots));
  t.w.ret(t.server, t.owner, 2, s[0].call_id, bytes("r"), false, {CapTransferDesc{spare, XFER_MOVE, {}}});
  auto r = t.w.reap(t.server);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, CAP_ERR_QUOTA_EXCEEDED);  // the call stays in flight
  EXPECT_TRUE(t.w.reap(t.client).empty());
  g_kernel_lock.acquire();
  EXPECT_TRUE(t.server.caps().lookup(spare).ok());  // the server keeps it
  g_kernel_lock.release();
  t.client.ledger().set_limit(Res::CapSlots, 256);
  t.w.ret(t.server, t.owner, 3, s[0].call_id, bytes("r"), false, {CapTransferDesc{spare, XFER_MOVE, {}}});
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, 1);
  EXPECT_EQ(c[0].cap_count, 1u);
  EXPECT_EQ(c[0].flags & CQE_F_CAPS, CQE_F_CAPS);
}

TEST(Ipc, SessionLivenessReachesTheServer) {
  Pair t;
  t.client.end_session();
  t.w.call(t.client, t.facet, 1, bytes("x"), 0);
  t.w.recv(t.server, t.owner, 1, 0);
  ASSERT_EQ(t.w.reap(t.server).size(), 1u);
  EXPECT_EQ(header(t.w, t.server, 0).flags & MSG_F_SESSION_LIVE, 0u);
}

TEST(Ipc, ExitedProcessesLeaveNoCharge) {
  World w;
  Process& server = w.spawn();
  Process& client = w.spawn();
  uint32_t owner = w.make_endpoint(server);
  uint32_t facet = w.grant_client(server, owner, client);
  for (uint32_t i = 0; i < 4; ++i) w.call(client, facet, i, std::vector<uint8_t>(64, i), i);
  w.recv(server, owner, 1, 0);
  w.recv(server, owner, 2, 1);
  w.exit(client);
  EXPECT_TRUE(client.ledger().empty());
  w.exit(server);
  EXPECT_TRUE(server.ledger().empty());
}

TEST(Ipc, BuffersTheMachineCannotBackAnswerOverloaded) {
  Pair t;
  // The client's params and result pages cannot be backed: OVERLOADED
  // (retry later), not a bad-buffer error; nothing is charged.
  t.client.address_space().set_unbackable(PARAMS_VA, true);
  t.w.call(t.client, t.facet, 1, {}, 0);  // empty params: not touched
  EXPECT_TRUE(t.w.reap(t.client).empty());
  CapSqe s = World::call_sqe(t.facet, 2, 8, 1, 64);
  t.w.submit(t.client, s);
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, CAP_ERR_OVERLOADED);
  t.client.address_space().set_unbackable(PARAMS_VA, false);
  t.client.address_space().set_unbackable(BUF_VA, true);
  s.user_data = 3;
  t.w.submit(t.client, s);
  c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, CAP_ERR_OVERLOADED);
  EXPECT_EQ(t.client.ledger().used(Res::OutstandingCalls), 1u);  // only the first call
  // A server whose receive page cannot be backed: its RECV answers OVERLOADED.
  t.server.address_space().set_unbackable(BUF_VA, true);
  t.w.recv(t.server, t.owner, 4, 0);
  auto r = t.w.reap(t.server);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].result, CAP_ERR_OVERLOADED);
}

TEST(Ipc, CompletionsGoToTheRingOfTheThreadThatSubmitted) {
  Pair t;
  // The server receives on its second thread's ring, the client calls
  // from its second thread: each completion lands in that thread's ring.
  t.w.submit(t.server, World::recv_sqe(t.owner, 5, 0), 1);
  EXPECT_EQ(t.server.ring(1).reserved(), 1u);
  memcpy(t.client.address_space().at(PARAMS_VA, 2), "hi", 2);
  t.w.submit(t.client, World::call_sqe(t.facet, 6, 2, 0), 1);
  EXPECT_TRUE(t.w.reap(t.server, 0).empty());
  auto s = t.w.reap(t.server, 1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].user_data, 5u);
  // Any server thread may RETURN: here the first.
  t.w.ret(t.server, t.owner, 7, s[0].call_id, bytes("ok"));
  EXPECT_EQ(t.w.reap(t.server, 0).size(), 1u);
  EXPECT_TRUE(t.w.reap(t.client, 0).empty());
  auto a = t.w.reap(t.client, 1);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].user_data, 6u);
  EXPECT_EQ(a[0].result, 2);
  EXPECT_EQ(t.client.ring(1).reserved(), 0u);
}

}  // namespace
