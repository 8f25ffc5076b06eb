// A CALL carrying caps delivered three ways must leave the same state:
// into a RECV's kept page (the RECV waits; header, params and transfer
// records written in place), through the checked copy (the call waits
// queued, the RECV comes later), and through the checked copy because the
// kept translation went stale (the server remapped its buffer). Random
// gifts (client facets, which records flag as served, and owner facets),
// modes, duplicate, stale and forged descriptors, and receiver quotas
// from none to plenty; compared: every completion, the server's buffer
// (header, params, records), both cap tables and both ledgers, then the
// reply. The kept path (kernel/ipc/ipc.cpp write_delivery) must not
// differ from the generic one in any of it. The server then answers with
// random result caps, into the caller's result page kept at CALL (or,
// in the stale case, through the checked copy), and that must not
// differ either.
#include <gtest/gtest.h>
#include <string.h>

#include <random>
#include <string>

#include "lib/abi/errors.h"
#include "tests/host/ipc/ipc_harness.h"

using namespace capos;
using namespace capos::abi;
using namespace capos::test;

namespace {

enum class Delivery { Kept, Queued, StaleKept };

std::string cqe_text(const char* who, const CapCqe& c) {
  return std::string(who) + " ud=" + std::to_string(c.user_data) + " res=" + std::to_string(c.result) +
         " flags=" + std::to_string(c.flags) + " call=" + std::to_string(c.call_id) +
         " caps=" + std::to_string(c.cap_count) + " aux=" + std::to_string(c.aux) + "\n";
}

std::string caps_text(const char* who, Process& p) {
  g_kernel_lock.acquire();
  std::string out = std::string(who) + " live=" + std::to_string(p.caps().live()) +
                    " used=" + std::to_string(p.ledger().used(Res::CapSlots)) +
                    " reserved=" + std::to_string(p.ledger().reserved(Res::CapSlots)) +
                    " calls=" + std::to_string(p.ledger().used(Res::OutstandingCalls)) + " [";
  for (uint32_t i = 0; i < p.caps().capacity(); ++i)
    if (const CapSlot* s = p.caps().slot_if_live(i))
      out += std::to_string(p.caps().capid_of(i)) + ":" + std::to_string(s->interface_id) + ":" +
             std::to_string(static_cast<int>(s->object->type())) + " ";
  g_kernel_lock.release();
  return out + "]\n";
}

// One scenario under one delivery; the seed decides everything else.
std::string transcript(uint32_t seed, Delivery how, uint32_t* delivered) {
  std::mt19937 rng(seed);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  World w;
  Process& server = w.spawn();
  Process& client = w.spawn();
  Process& other = w.spawn();
  uint32_t owner = w.make_endpoint(server);
  uint32_t facet = w.grant_client(server, owner, client);
  uint32_t spare = w.make_endpoint(server);  // a cap the server may return
  // The client's gifts: facets of another process's endpoints (served)
  // and endpoints it owns itself (kernel-answered owner facets).
  std::vector<uint32_t> gifts;
  for (uint32_t k = 1 + pick(6); k-- > 0;) {
    if (pick(2)) gifts.push_back(w.grant_client(other, w.make_endpoint(other), client));
    else gifts.push_back(w.make_endpoint(client));
  }
  if (pick(4) == 0) {  // one of them released: its id is stale
    w.release(client, gifts.back());
    w.reap(client);
  }
  uint64_t used = server.ledger().used(Res::CapSlots);
  uint32_t q = pick(4);
  server.ledger().set_limit(Res::CapSlots, q == 0 ? used + pick(4) : 256);
  std::vector<CapTransferDesc> descs;
  for (uint32_t k = 1 + (pick(5) == 0 ? pick(XFER_MAX + 1) : pick(3)); k-- > 0;) {
    CapTransferDesc d{gifts[pick(static_cast<uint32_t>(gifts.size()))], pick(2) ? XFER_COPY : XFER_MOVE, {0, 0, 0}};
    if (pick(30) == 0) d.cap_id = static_cast<uint32_t>(rng());  // forged
    descs.push_back(d);
  }
  std::vector<uint8_t> params(pick(200));
  for (auto& b : params) b = static_cast<uint8_t>(rng());

  std::string out;
  if (how == Delivery::Kept || how == Delivery::StaleKept) {
    w.recv(server, owner, 1, 0);
    if (how == Delivery::StaleKept) {  // fresh pages at the same place: the kept translation is stale
      server.address_space().unmap(BUF_VA);
      server.address_space().map(BUF_VA, BUF_SLOT * BUF_SLOTS, true);
    }
    w.call(client, facet, 2, params, 1, BUF_SLOT, descs);
  } else {
    w.call(client, facet, 2, params, 1, BUF_SLOT, descs);
    w.recv(server, owner, 1, 0);
  }
  uint32_t call_id = 0;
  for (const CapCqe& c : w.reap(server)) {
    out += cqe_text("server", c);
    if (c.result > 0) call_id = c.call_id;
  }
  for (const CapCqe& c : w.reap(client)) out += cqe_text("client", c);
  out += caps_text("server", server) + caps_text("client", client);
  if (call_id) {
    ++*delivered;
    auto bytes = w.slot_bytes(server, 0, 0, sizeof(EndpointMessageHeader) + params.size() + XFER_MAX * 16);
    EndpointMessageHeader h;
    memcpy(&h, bytes.data(), sizeof(h));
    EXPECT_EQ(h.params_len, params.size());
    if (!params.empty()) EXPECT_EQ(memcmp(bytes.data() + sizeof(h), params.data(), params.size()), 0);
    h.scoped_ref_lo = h.scoped_ref_hi = 0;  // keyed per endpoint: random in each world
    memcpy(bytes.data(), &h, sizeof(h));
    out += std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    // Each record names a live cap of the server's with its interface.
    for (uint16_t i = 0; i < h.xfer_count; ++i) {
      CapTransferRecord rec;
      memcpy(&rec, bytes.data() + sizeof(h) + params.size() + i * sizeof(rec), sizeof(rec));
      g_kernel_lock.acquire();
      auto slot = server.caps().lookup(rec.cap_id);
      EXPECT_TRUE(slot.ok());
      if (slot) {
        EXPECT_EQ((*slot)->interface_id, rec.interface_id);
        EXPECT_EQ(rec.flags, (*slot)->object->type() == ObjType::ClientEndpoint ? XFER_REC_SERVED : 0u);
      }
      g_kernel_lock.release();
    }
    // The answer, with result caps: the spare endpoint and caps the call
    // brought, copied or moved, into a caller whose quota may be short.
    std::vector<CapTransferDesc> back;
    std::vector<uint32_t> held = {spare};
    for (uint16_t i = 0; i < h.xfer_count; ++i) {
      CapTransferRecord rec;
      memcpy(&rec, bytes.data() + sizeof(h) + params.size() + i * sizeof(rec), sizeof(rec));
      held.push_back(rec.cap_id);
    }
    for (uint32_t k = pick(4); k-- > 0;)
      back.push_back(CapTransferDesc{held[pick(static_cast<uint32_t>(held.size()))], pick(2) ? XFER_COPY : XFER_MOVE,
                                     {0, 0, 0}});
    if (pick(3) == 0) client.ledger().set_limit(Res::CapSlots, client.ledger().used(Res::CapSlots) + pick(3));
    if (how == Delivery::StaleKept) {  // the result page kept at CALL goes stale too
      client.address_space().unmap(BUF_VA);
      client.address_space().map(BUF_VA, BUF_SLOT * BUF_SLOTS, true);
    }
    w.ret(server, owner, 3, call_id, {'o', 'k'}, false, back);
    bool answered = false;
    for (const CapCqe& c : w.reap(server)) {
      out += cqe_text("server", c);
      answered = c.result == 0;
    }
    if (!answered) w.ret(server, owner, 4, call_id, {'o', 'k'});  // refused (e.g. the quota): answer without caps
    for (const CapCqe& c : w.reap(server)) out += cqe_text("server", c);
    for (const CapCqe& c : w.reap(client)) out += cqe_text("client", c);
    auto result = w.slot_bytes(client, 1, 0, 2 + XFER_MAX * sizeof(CapTransferRecord));
    out += std::string(reinterpret_cast<const char*>(result.data()), result.size());
    out += caps_text("server", server) + caps_text("client", client);
  }
  return out;
}

TEST(IpcTransfer, KeptDeliveryWithCapsMatchesTheCheckedCopy) {
  uint32_t delivered = 0, kept_delivered = 0;
  for (uint32_t seed = 1; seed <= 250; ++seed) {
    uint32_t unused = 0;
    std::string kept = transcript(seed, Delivery::Kept, &kept_delivered);
    EXPECT_EQ(kept, transcript(seed, Delivery::Queued, &delivered)) << "seed " << seed;
    EXPECT_EQ(kept, transcript(seed, Delivery::StaleKept, &unused)) << "seed " << seed;
    if (HasFailure()) break;
  }
  EXPECT_GT(kept_delivered, 80u);  // enough deliveries (122 of 250), and enough refusals besides
  EXPECT_LT(kept_delivered, 200u);
  EXPECT_EQ(kept_delivered, delivered);
}

}  // namespace
