// The endpoint fast path (kernel/ipc/fast_path.cpp) on the host: the same
// sequences run once through the generic drain and once with the fast path
// first must give the same completions and bytes; the buffer translations
// the fast path keeps in call and RECV records must not outlive an unmap
// (ASan reports a stale write into the freed region).
#include <gtest/gtest.h>
#include <string.h>

#include <string>

#include "lib/abi/errors.h"
#include "tests/host/ipc/ipc_harness.h"

using namespace capos;
using namespace capos::abi;
using namespace capos::test;

namespace {

struct FastMode {
  explicit FastMode(bool on) { g_use_fast_path = on; }
  ~FastMode() { g_use_fast_path = false; }
};

struct Pair {
  World w;
  Process& server = w.spawn();
  Process& client = w.spawn();
  uint32_t owner = w.make_endpoint(server);
  uint32_t facet = w.grant_client(server, owner, client);
};

void put_params(Process& p, const std::string& s) {
  if (!s.empty()) memcpy(p.address_space().at(PARAMS_VA, s.size()), s.data(), s.size());
}

std::string cqe_text(const char* who, const CapCqe& c) {
  return std::string(who) + " ud=" + std::to_string(c.user_data) + " res=" + std::to_string(c.result) +
         " flags=" + std::to_string(c.flags) + " call=" + std::to_string(c.call_id) +
         " caps=" + std::to_string(c.cap_count) + " aux=" + std::to_string(c.aux) + "\n";
}

// An echo loop in the fast path's shape (lone CALL; RETURN + RECV in one
// batch), with misuse mixed in: a reply too long for the result buffer, a
// forged call id, a RECV on another cap, RELEASEs of caps that are not
// there, a CALL with unknown flags. Returns everything both sides saw.
std::string echo_transcript(bool fast) {
  FastMode mode(fast);
  Pair t;
  uint32_t other = t.w.make_endpoint(t.server);
  std::string out;
  auto reap = [&] {
    for (const CapCqe& c : t.w.reap(t.server)) out += cqe_text("server", c);
    for (const CapCqe& c : t.w.reap(t.client)) out += cqe_text("client", c);
  };
  t.w.recv(t.server, t.owner, 1, 0);
  uint32_t call_id = 0;
  for (uint32_t k = 0; k < 40; ++k) {
    std::string msg(1 + (k * 37) % 300, static_cast<char>('a' + k % 26));
    put_params(t.client, msg);
    // The result buffer sometimes too small for the echo.
    CapSqe call =
        World::call_sqe(t.facet, 1000 + k, static_cast<uint32_t>(msg.size()), 1, k % 7 == 3 ? 8 : BUF_SLOT);
    call.method_id = static_cast<uint16_t>(k);
    if (k % 11 == 5) call.flags = 0x80;            // unknown flag: refused
    t.w.submit(t.client, call);
    for (const CapCqe& c : t.w.reap(t.server)) {
      out += cqe_text("server", c);
      if (c.result > 0) call_id = c.call_id;
    }
    // The delivered message; the scoped reference is keyed per endpoint
    // (a fresh random key in each run), so it is left out.
    auto msg_bytes = t.w.slot_bytes(t.server, 0, 0, 128);
    EndpointMessageHeader h;
    memcpy(&h, msg_bytes.data(), sizeof(h));
    h.scoped_ref_lo = h.scoped_ref_hi = 0;
    memcpy(msg_bytes.data(), &h, sizeof(h));
    out += std::string(reinterpret_cast<const char*>(msg_bytes.data()), msg_bytes.size());
    std::vector<CapSqe> batch;
    if (k % 9 == 4) {  // RELEASEs of empty slots ahead of the answer
      CapSqe rel{};
      rel.opcode = CAP_OP_RELEASE;
      rel.cap_id = 60;
      rel.user_data = 3000 + k;
      batch.push_back(rel);
    }
    put_params(t.server, msg);
    batch.push_back(World::ret_sqe(t.owner, 2000 + k, k % 13 == 6 ? call_id + 99 : call_id,
                                   static_cast<uint32_t>(msg.size())));
    batch.push_back(World::recv_sqe(k % 17 == 8 ? other : t.owner, 4000 + k, 0));
    t.w.submit_batch(t.server, batch);
    reap();
    out += std::string(reinterpret_cast<const char*>(t.w.slot_bytes(t.client, 1, 0, 64).data()), 64);
  }
  return out;
}

TEST(IpcFastPath, EchoLoopMatchesTheGenericPath) {
  uint64_t before = ipc::env::g_fast_sqes, fused = ipc::env::g_fused_sqes;
  std::string generic = echo_transcript(false);
  EXPECT_EQ(ipc::env::g_fast_sqes, before);
  std::string fast = echo_transcript(true);
  EXPECT_GT(ipc::env::g_fast_sqes, before + 60);  // the fast path really took most of it
  EXPECT_GT(ipc::env::g_fused_sqes, fused + 15);  // some fused (the misuse desynchronizes the loop after k = 8)
  EXPECT_EQ(fast, generic);
}

TEST(IpcFastPath, KeptReceiveBufferIsNotUsedAfterTheServerUnmapsIt) {
  FastMode mode(true);
  Pair t;
  ASSERT_EQ(t.w.recv(t.server, t.owner, 1, 0), 1u);  // its first page kept
  t.server.address_space().unmap(BUF_VA);
  t.server.address_space().map(BUF_VA, BUF_SLOT * BUF_SLOTS, true);  // fresh bytes elsewhere
  put_params(t.client, "hello");
  ASSERT_EQ(t.w.call(t.client, t.facet, 2, {'h', 'e', 'l', 'l', 'o'}, 1), 1u);
  auto cqes = t.w.reap(t.server);
  ASSERT_EQ(cqes.size(), 1u);
  EXPECT_EQ(cqes[0].result, static_cast<int32_t>(sizeof(EndpointMessageHeader) + 5));
  auto b = t.w.slot_bytes(t.server, 0, sizeof(EndpointMessageHeader), 5);
  EXPECT_EQ(std::string(b.begin(), b.end()), "hello");  // in the new mapping
}

TEST(IpcFastPath, KeptResultBufferIsNotUsedAfterTheCallerUnmapsIt) {
  FastMode mode(true);
  Pair t;
  t.w.recv(t.server, t.owner, 1, 0);
  ASSERT_EQ(t.w.call(t.client, t.facet, 2, {'p', 'i', 'n', 'g'}, 1), 1u);  // result page kept
  uint32_t id = t.w.reap(t.server).at(0).call_id;
  t.client.address_space().unmap(BUF_VA);  // gone: the reply has nowhere to go
  put_params(t.server, "pong");
  t.w.submit_batch(t.server, {World::ret_sqe(t.owner, 3, id, 4), World::recv_sqe(t.owner, 4, 0)});
  auto c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, CAP_ERR_INVALID_RESULT_BUFFER);
  // Mapped again: the next call's reply lands in the new mapping.
  t.client.address_space().map(BUF_VA, BUF_SLOT * BUF_SLOTS, true);
  ASSERT_EQ(t.w.call(t.client, t.facet, 5, {'p', 'i', 'n', 'g'}, 1), 1u);
  id = t.w.reap(t.server).at(1).call_id;  // [0] is the RETURN's completion
  t.w.submit_batch(t.server, {World::ret_sqe(t.owner, 6, id, 4), World::recv_sqe(t.owner, 7, 0)});
  c = t.w.reap(t.client);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].result, 4);
  auto b = t.w.slot_bytes(t.client, 1, 0, 4);
  EXPECT_EQ(std::string(b.begin(), b.end()), "pong");
}

TEST(IpcFastPath, OtherShapesAreLeftToTheGenericDrain) {
  FastMode mode(true);
  Pair t;
  uint64_t before = ipc::env::g_fast_sqes;
  t.w.recv(t.server, t.owner, 1, 0);  // a lone RECV
  // RETURN + RECV on different caps, and RETURN followed by something else.
  t.w.submit_batch(t.server, {World::ret_sqe(t.owner, 2, 77, 0), World::recv_sqe(t.owner + 1, 3, 2)});
  CapSqe nop{};
  t.w.submit_batch(t.server, {World::ret_sqe(t.owner, 4, 77, 0), nop});
  // A CALL on the owner facet (an Endpoint management call, not a delivery).
  CapSqe call{};
  call.opcode = CAP_OP_CALL;
  call.cap_id = t.owner;
  t.w.submit(t.server, call);
  EXPECT_EQ(ipc::env::g_fast_sqes, before);
}

}  // namespace
