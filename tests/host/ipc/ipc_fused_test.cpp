// The fused shapes of the endpoint fast path (kernel/ipc/fast_path.cpp:
// fused_call, fused_reply_recv) against the generic drain: each scenario
// runs once through the generic drain and once with the fast path first,
// and both must leave the same completions, bytes and counts. Each
// scenario also forces one of the fused code's fallbacks (server not
// waiting, a message too long, a cap released mid-call, a server that
// ends, a generation change on either side) and checks that the fused code
// really ran where it could.
#include <gtest/gtest.h>
#include <string.h>

#include <functional>
#include <string>
#include <vector>

#include "lib/abi/errors.h"
#include "tests/host/ipc/ipc_harness.h"

using namespace capos;
using namespace capos::abi;
using namespace capos::test;

namespace {

struct Mode {
  explicit Mode(bool on) { g_use_fast_path = on; }
  ~Mode() { g_use_fast_path = false; }
};

struct Scene {
  World w;
  Process& server = w.spawn();
  Process& client = w.spawn();
  uint32_t owner = w.make_endpoint(server);
  uint32_t facet = w.grant_client(server, owner, client);
  std::string out;
  uint32_t last_call = 0;
  std::vector<CapTransferRecord> last_records;
  // Caps the client can send: client facets of endpoints another process serves.
  Process& other = w.spawn();
  uint32_t other_owner = w.make_endpoint(other);
  uint32_t gift() { return w.grant_client(other, other_owner, client); }
  uint64_t slots(Process& p) { return p.ledger().used(Res::CapSlots); }
  bool ref_of_client(const EndpointMessageHeader& h) {
    auto slot = server.caps().lookup(owner);
    EndpointOwner* o = slot ? down_cast<EndpointOwner>((*slot)->object) : nullptr;
    if (!o) return true;  // the server released it: nothing to compare with
    uint64_t ref[2];
    g_kernel_lock.acquire();
    o->core()->scoped_ref(client.session_id(), ref);
    g_kernel_lock.release();
    return h.scoped_ref_lo == ref[0] && h.scoped_ref_hi == ref[1];
  }

  void put(Process& p, const std::string& s) {
    if (!s.empty()) memcpy(p.address_space().at(PARAMS_VA, s.size()), s.data(), s.size());
  }
  void note(const char* who, const CapCqe& c) {
    out += std::string(who) + " ud=" + std::to_string(c.user_data) + " res=" + std::to_string(c.result) +
           " flags=" + std::to_string(c.flags) + " call=" + std::to_string(c.call_id) +
           " caps=" + std::to_string(c.cap_count) + " aux=" + std::to_string(c.aux) + "\n";
  }
  void reap() {
    for (const CapCqe& c : w.reap(server)) {
      note("server", c);
      if (c.result > 0 && c.call_id) last_call = c.call_id;
    }
    if (w.alive(client))
      for (const CapCqe& c : w.reap(client)) note("client", c);
  }
  // The bytes both sides can see: the server's receive slot 0 (the header
  // without its per-run scoped reference) and the client's result slot 1.
  void snapshot() {
    if (w.alive(server)) {
      auto m = w.slot_bytes(server, 0, 0, 96);
      EndpointMessageHeader h;
      memcpy(&h, m.data(), sizeof(h));
      // The reference is keyed per run: compared with the one the client's
      // session gets from the endpoint (the call record's session id).
      out += h.params_len && !ref_of_client(h) ? " ref=BAD" : "";
      EXPECT_EQ(h.reserved, 0u);  // written as zero (on both paths), whatever the page held
      h.scoped_ref_lo = h.scoped_ref_hi = 0;
      memcpy(m.data(), &h, sizeof(h));
      out += std::string(reinterpret_cast<const char*>(m.data()), m.size());
      if (h.xfer_count) {  // the transfer records after the params
        auto rec = w.slot_bytes(server, 0, sizeof(h) + h.params_len, h.xfer_count * sizeof(CapTransferRecord));
        out += " records=" + std::string(reinterpret_cast<const char*>(rec.data()), rec.size());
        last_records.assign(h.xfer_count, CapTransferRecord{});
        memcpy(last_records.data(), rec.data(), rec.size());
      }
    }
    if (w.alive(client)) {
      auto r = w.slot_bytes(client, 1, 0, 64);
      out += std::string(reinterpret_cast<const char*>(r.data()), r.size());
    }
    out += " slots=" + std::to_string(w.alive(client) ? slots(client) : 99) + "/" +
           std::to_string(w.alive(server) ? slots(server) : 99);
    out += " out=" + std::to_string(w.alive(client) ? w.outstanding(client) : 99) +
           " serving=" + std::to_string(w.alive(server) ? w.serving(server) : 99) +
           " recvs=" + std::to_string(w.alive(server) ? w.pending_recvs(server) : 99) + "\n";
  }
  void call(uint64_t ud, const std::string& msg, uint32_t result_len = BUF_SLOT,
            const std::vector<CapTransferDesc>& xfer = {}) {
    put(client, msg);
    if (!xfer.empty())
      memcpy(client.address_space().at(XFER_VA, xfer.size() * sizeof(CapTransferDesc)), xfer.data(),
             xfer.size() * sizeof(CapTransferDesc));
    CapSqe s = World::call_sqe(facet, ud, static_cast<uint32_t>(msg.size()), 1, result_len);
    s.method_id = static_cast<uint16_t>(ud);
    s.xfer_addr = XFER_VA;
    s.xfer_count = static_cast<uint16_t>(xfer.size());
    w.submit(client, s);
    reap();
    snapshot();
  }
  // The echo server's answer: RETURN of the last delivered call + RECV.
  void answer(uint64_t ud, const std::string& reply, uint32_t buf_len = BUF_SLOT,
              const std::vector<uint32_t>& releases = {}) {
    put(server, reply);
    std::vector<CapSqe> batch;
    for (uint32_t cap : releases) {
      CapSqe rel{};
      rel.opcode = CAP_OP_RELEASE;
      rel.cap_id = cap;
      rel.user_data = ud + 100 + cap;
      batch.push_back(rel);
    }
    batch.push_back(World::ret_sqe(owner, ud, last_call, static_cast<uint32_t>(reply.size())));
    batch.push_back(World::recv_sqe(owner, ud + 1, 0, buf_len));
    w.submit_batch(server, batch);
    reap();
    snapshot();
  }
  // The server's RECV armed and one call answered: both sides' records
  // and kept translations exist before the test's own traffic.
  void warm_up() {
    w.recv(server, owner, 1, 0);
    call(1, "warm");
    answer(10, "w");
  }
  // The cap id the last delivery's first transfer record names, or 60 (a
  // slot that holds nothing) when the delivery brought none.
  uint32_t received_cap() const { return last_records.empty() ? 60u : last_records[0].cap_id; }
};

// Runs `scenario` both ways; returns the generic transcript and checks the
// fast one equals it and that at least `min_fused` SQEs ran fused.
void same_both_ways(const std::function<void(Scene&)>& scenario, uint64_t min_fused) {
  std::string generic, fast;
  {
    Mode m(false);
    Scene s;
    scenario(s);
    generic = s.out;
  }
  uint64_t fused = ipc::env::g_fused_sqes;
  {
    Mode m(true);
    Scene s;
    scenario(s);
    fast = s.out;
  }
  EXPECT_GE(ipc::env::g_fused_sqes - fused, min_fused);
  EXPECT_EQ(fast, generic);
}

std::string msg(uint32_t k) { return std::string(1 + (k * 53) % 400, static_cast<char>('A' + k % 26)); }

TEST(IpcFused, EchoLoopRunsFusedAndMatchesTheGenericPath) {
  same_both_ways(
      [](Scene& s) {
        // The server's receive buffer holds garbage before each delivery:
        // every header field is written, the reserved word as zero.
        memset(s.server.address_space().at(World::slot_va(0), 96), 0xEE, 96);
        s.w.recv(s.server, s.owner, 1, 0);
        for (uint32_t k = 0; k < 50; ++k) {
          s.call(100 + k, msg(k));
          s.answer(1000 + 2 * k, msg(k + 7));
          memset(s.server.address_space().at(World::slot_va(0), 96), 0xEE, 96);
        }
      },
      140);  // 49 CALLs (the first allocates its record) and 50 RETURN + RECV pairs, minus slack
}

TEST(IpcFused, ServerNotWaitingQueuesThroughTheGenericCall) {
  same_both_ways(
      [](Scene& s) {
        s.warm_up();
        s.call(2, "first");  // delivered (fused)
        s.call(3, "queued");  // no RECV waiting: queued by the generic call
        s.answer(20, "one");  // RETURN fused; the RECV takes the queued call (generic)
        s.answer(30, "two");
        s.call(4, "again");
        s.answer(40, "three");
      },
      6);
}

TEST(IpcFused, OversizedMessagesFallBack) {
  same_both_ways(
      [](Scene& s) {
        s.w.recv(s.server, s.owner, 1, 0, 80);  // room for a header and 16 bytes
        s.call(1, std::string(40, 'x'));  // too long for this RECV: the server's RECV fails, the call queues
        s.w.recv(s.server, s.owner, 2, 0);
        s.reap();
        s.snapshot();
        s.answer(10, "ok");
        s.call(2, std::string(IPC_MESSAGE_MAX + 1, 'y'));  // above IPC_MESSAGE_MAX: refused
        s.call(3, "small", 4);  // the reply will not fit the result buffer
        s.answer(20, "too long for four bytes");
        s.call(4, "fine");
        s.answer(30, "done");
      },
      4);
}

TEST(IpcFused, CapsReleasedMidCallFallBack) {
  same_both_ways(
      [](Scene& s) {
        s.warm_up();
        s.call(2, "in flight");
        s.w.release(s.client, s.facet);  // the client's cap goes while its call is in flight
        s.reap();
        s.answer(20, "still answered");
        s.call(3, "on a released cap");  // lookup fails: the generic error
        s.w.release(s.server, s.owner);  // the server's owner cap: the endpoint dies
        s.reap();
        s.snapshot();
        s.answer(30, "no cap");  // RETURN and RECV on a released cap: generic errors
      },
      3);
}

TEST(IpcFused, ServerThatEndsFailsTheCallAndLaterCalls) {
  same_both_ways(
      [](Scene& s) {
        s.warm_up();
        s.call(2, "in flight when the server ends");  // fused
        s.w.exit(s.server);
        s.reap();
        s.snapshot();
        s.call(3, "to a dead endpoint");  // generic: DISCONNECTED
      },
      3);
}

TEST(IpcFused, GenerationChangesOnEitherSideAreNotUsedStale) {
  same_both_ways(
      [](Scene& s) {
        s.w.recv(s.server, s.owner, 1, 0);
        for (uint32_t k = 0; k < 8; ++k) {
          if (k == 3) {  // the client's params page moves between calls
            s.client.address_space().unmap(PARAMS_VA);
            s.client.address_space().map(PARAMS_VA, PARAMS_LEN, false);
          }
          if (k == 6) {  // the server's reply page moves before its answer
            s.call(1 + k, msg(k));
            s.server.address_space().unmap(PARAMS_VA);
            s.server.address_space().map(PARAMS_VA, PARAMS_LEN, false);
            s.answer(100 + 2 * k, msg(k + 1));
            continue;
          }
          s.call(1 + k, msg(k));
          if (k == 2) {  // the client's result buffer moves while the call is in flight
            s.client.address_space().unmap(BUF_VA);
            s.client.address_space().map(BUF_VA, BUF_SLOT * BUF_SLOTS, true);
          }
          if (k == 4) {  // the server's receive buffer moves under its armed RECV after the answer
            s.answer(100 + 2 * k, msg(k + 1));
            s.server.address_space().unmap(BUF_VA);
            s.server.address_space().map(BUF_VA, BUF_SLOT * BUF_SLOTS, true);
            continue;
          }
          s.answer(100 + 2 * k, msg(k + 1));
        }
        s.call(50, "after both moved");
        s.answer(60, "reply lands in the new mapping");
        // The client's result buffer unmapped between calls: the next CALL
        // fails INVALID_RESULT_BUFFER at once (the call record's kept
        // translation, of the old generation, must not stand in for the
        // check), the server's RECV stays armed.
        s.client.address_space().unmap(BUF_VA);
        {
          // A result within the kept page: the case a kept translation could skip.
          s.w.submit(s.client, World::call_sqe(s.facet, 65, 3, 1, 64));
        }
        s.reap();
        s.client.address_space().map(BUF_VA, BUF_SLOT * BUF_SLOTS, true);
        s.snapshot();
        s.call(66, "mapped again");
        s.answer(67, "answered");
        // The server's receive buffer unmapped before its next RECV: that
        // RECV fails (its buffer was checked at an older generation).
        s.call(70, "one more");
        s.server.address_space().unmap(BUF_VA);
        s.put(s.server, "r");
        s.w.submit_batch(s.server, {World::ret_sqe(s.owner, 80, s.last_call, 1), World::recv_sqe(s.owner, 81, 0)});
        s.server.address_space().map(BUF_VA, BUF_SLOT * BUF_SLOTS, true);
        s.reap();
        s.snapshot();
      },
      26);  // 29: after each move the fused code runs again on translations kept anew
}

TEST(IpcFused, CallsWithCapsAndReleasingAnswersRunFused) {
  same_both_ways(
      [](Scene& s) {
        s.warm_up();
        uint32_t spare = s.gift();
        for (uint32_t k = 0; k < 20; ++k) {
          // A copy every time, a move of a fresh cap every third call, two caps every fifth.
          std::vector<CapTransferDesc> x{CapTransferDesc{spare, XFER_COPY, {}}};
          if (k % 3 == 1) x.push_back(CapTransferDesc{s.gift(), XFER_MOVE, {}});
          if (k % 5 == 2) x.push_back(CapTransferDesc{spare, XFER_COPY, {}});
          s.call(100 + k, msg(k), BUF_SLOT, x);
          std::vector<uint32_t> rel;
          for (const CapTransferRecord& r : s.last_records) rel.push_back(r.cap_id);
          if (k % 4 == 3) rel.push_back(60);  // a RELEASE of an empty slot: its error, the rest goes on
          if (rel.size() > 2) rel.resize(2);  // at most two RELEASEs ride ahead of the answer
          s.answer(1000 + 2 * k, msg(k + 3), BUF_SLOT, rel);
        }
      },
      45);
}

TEST(IpcFused, TransferFailuresEndTheCallAsTheGenericCallDoes) {
  same_both_ways(
      [](Scene& s) {
        s.warm_up();
        // A descriptor naming no cap: INVALID_TRANSFER, the RECV stays.
        s.call(2, "bad", BUF_SLOT, {CapTransferDesc{0xdead, XFER_COPY, {}}});
        // Descriptors out of the client's memory: refused the same way.
        {
          CapSqe c{};
          c.opcode = CAP_OP_CALL;
          c.cap_id = s.facet;
          c.user_data = 3;
          c.result_addr = World::slot_va(1);
          c.result_len = 64;
          c.xfer_addr = UNMAPPED_VA;
          c.xfer_count = 1;
          s.w.submit(s.client, c);
          s.reap();
          s.snapshot();
        }
        // The server may hold no more caps: the preflight fails, the call
        // fails, the RECV stays and the client keeps the cap it moved.
        uint32_t g = s.gift();
        s.server.ledger().set_limit(Res::CapSlots, s.slots(s.server));
        s.call(4, "no room", BUF_SLOT, {CapTransferDesc{g, XFER_MOVE, {}}});
        s.server.ledger().set_limit(Res::CapSlots, 256);
        s.call(5, "room again", BUF_SLOT, {CapTransferDesc{g, XFER_MOVE, {}}});
        s.answer(20, "moved", BUF_SLOT, {s.received_cap()});
        // More than XFER_MAX descriptors: the generic call refuses them.
        std::vector<CapTransferDesc> many(XFER_MAX + 1, CapTransferDesc{g, XFER_COPY, {}});
        s.call(6, "too many", BUF_SLOT, many);
        // RELEASE of the owner cap ahead of the answer: RETURN and RECV fail on the empty slot.
        s.call(7, "last");
        s.answer(30, "gone", BUF_SLOT, {s.owner});
      },
      6);
}

// The fused RELEASE (its CQE posted in place) against the generic one:
// a received cap released, the same id twice in one batch (the second
// finds the slot gone), a stale id (the slot reused by a later cap), the
// invalid id and one far out of range; each refusal is the generic
// error and the rest of the batch still runs.
TEST(IpcFused, ReleasesAheadOfTheAnswerMatchTheGenericRelease) {
  same_both_ways(
      [](Scene& s) {
        s.warm_up();
        uint32_t spare = s.gift();
        uint32_t stale = 0;
        for (uint32_t k = 0; k < 12; ++k) {
          s.call(100 + k, msg(k), BUF_SLOT, {CapTransferDesc{spare, XFER_COPY, {}}});
          uint32_t got = s.received_cap();
          std::vector<uint32_t> rel;
          switch (k % 4) {
            case 0: rel = {got}; stale = got; break;
            case 1: rel = {got, got}; break;  // the second: the slot is gone
            case 2: rel = {stale, got}; break;  // an id whose slot a later cap reused
            default: rel = {0xFFFFFFFFu, got}; break;  // the invalid id
          }
          s.answer(1000 + 2 * k, msg(k + 5), BUF_SLOT, rel);
        }
        s.call(200, "far", BUF_SLOT, {CapTransferDesc{spare, XFER_COPY, {}}});
        s.answer(2000, "x", BUF_SLOT, {0x00ffff00u, s.received_cap()});
      },
      30);
}

// The single descriptor's page is kept across CALLs (ProcessIpc::
// last_kdescs): moved or unmapped between calls, the kept translation must
// not be used (a stale one would read the old frame's descriptor).
TEST(IpcFused, DescriptorPageMovesAreNotUsedStale) {
  same_both_ways(
      [](Scene& s) {
        s.warm_up();
        uint32_t a = s.gift();
        uint32_t b = s.gift();
        for (uint32_t k = 0; k < 10; ++k) {
          if (k == 3 || k == 7) {  // the descriptor page moves: the next call names `b`
            s.client.address_space().unmap(XFER_VA);
            s.client.address_space().map(XFER_VA, 0x1000, false);
          }
          if (k == 5) {  // unmapped: the call fails INVALID_TRANSFER, the RECV stays
            s.client.address_space().unmap(XFER_VA);
            CapSqe c{};
            c.opcode = CAP_OP_CALL;
            c.cap_id = s.facet;
            c.user_data = 500;
            c.result_addr = World::slot_va(1);
            c.result_len = 64;
            c.xfer_addr = XFER_VA;
            c.xfer_count = 1;
            s.w.submit(s.client, c);
            s.reap();
            s.snapshot();
            s.client.address_space().map(XFER_VA, 0x1000, false);
          }
          s.call(100 + k, msg(k), BUF_SLOT, {CapTransferDesc{k >= 3 ? b : a, XFER_COPY, {}}});
          std::vector<uint32_t> rel;
          if (!s.last_records.empty()) rel.push_back(s.last_records[0].cap_id);
          s.answer(1000 + 2 * k, msg(k + 1), BUF_SLOT, rel);
        }
      },
      20);
}

}  // namespace

// Each field the fused shapes test in one load (opcode with flags, and
// xfer_count with reserved0) set in turn: the fast path must leave each
// such SQE to the generic checks, which answer it as they always did.
TEST(IpcFused, FlagsAndReservedFieldsFallBackToTheGenericChecks) {
  same_both_ways(
      [](Scene& s) {
        s.w.recv(s.server, s.owner, 1, 0);
        for (uint32_t k = 0; k < 18; ++k) {
          s.put(s.client, msg(k));
          CapSqe c = World::call_sqe(s.facet, 100 + k, static_cast<uint32_t>(msg(k).size()), 1);
          c.method_id = static_cast<uint16_t>(k);
          c.xfer_addr = XFER_VA;
          if (k == 1) c.flags = 0x80;           // unknown flag
          if (k == 2) c.flags = SQE_F_EXCEPTION;  // a RETURN's flag on a CALL
          if (k == 3) c.reserved0 = 1;
          if (k == 4) c.reserved0 = 0x8000;
          if (k == 5) c.xfer_count = XFER_MAX + 1;
          if (k == 6) c.xfer_count = 0x100;  // low byte zero
          s.w.submit(s.client, c);
          s.reap();
          s.snapshot();
          s.put(s.server, msg(k + 3));
          CapSqe rs = World::ret_sqe(s.owner, 200 + k, s.last_call, static_cast<uint32_t>(msg(k + 3).size()));
          CapSqe rv = World::recv_sqe(s.owner, 300 + k, 0);
          if (k == 7) rs.flags = SQE_F_EXCEPTION;  // an exception answer: generic RETURN
          if (k == 8) rs.flags = 0x40;
          if (k == 9) rs.reserved0 = 2;
          if (k == 10) rs.xfer_count = 1;  // a reply with a cap (an empty descriptor page: refused)
          if (k == 11) rv.flags = 0x01;
          if (k == 12) rv.reserved0 = 0x100;
          if (k == 13) rv.xfer_count = 1;
          if (k == 14) rv.xfer_count = 0x8000;
          std::vector<CapSqe> batch{rs, rv};
          if (k >= 15) {  // a RELEASE ahead of the answer (of an empty slot), with flags at k == 16
            CapSqe rel{};
            rel.opcode = CAP_OP_RELEASE;
            rel.cap_id = 60;
            rel.user_data = 500 + k;
            if (k == 16) rel.flags = 0x02;
            batch.insert(batch.begin(), rel);
          }
          s.w.submit_batch(s.server, batch);
          s.reap();
          s.snapshot();
          if (s.w.pending_recvs(s.server) == 0) s.w.recv(s.server, s.owner, 400 + k, 0);  // re-arm after a refused RECV
          s.reap();
        }
      },
      10);
}

// The server's RECV names another buffer (slot, length) at each answer, at
// one page-table generation: each delivery lands in the buffer its RECV
// named (a parked record re-armed must not keep its last buffer).
TEST(IpcFused, EachRecvDeliversIntoTheBufferItNames) {
  same_both_ways(
      [](Scene& s) {
        s.w.recv(s.server, s.owner, 1, 0);
        uint32_t slot = 0;
        for (uint32_t k = 0; k < 12; ++k) {
          s.call(100 + k, msg(k));
          // What landed where the last RECV pointed.
          auto m = s.w.slot_bytes(s.server, slot, sizeof(EndpointMessageHeader), msg(k).size());
          s.out += " slot" + std::to_string(slot) + "=" + std::string(m.begin(), m.end()) + "\n";
          slot = (k % 3 == 1) ? slot : 2 + k % 4;  // sometimes the same buffer again
          uint32_t len = k % 2 ? BUF_SLOT : 512;
          s.put(s.server, msg(k + 5));
          s.w.submit_batch(s.server, {World::ret_sqe(s.owner, 200 + k, s.last_call, static_cast<uint32_t>(msg(k + 5).size())),
                                      World::recv_sqe(s.owner, 300 + k, slot, len)});
          s.reap();
        }
      },
      20);
}
