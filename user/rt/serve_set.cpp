#include "user/rt/serve_set.h"

#include "user/rt/caps_call.h"
#include "user/rt/ring.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"

namespace capos::rt {

namespace {

// One RECV buffer per endpoint: a call may arrive on any of them.
alignas(16) uint8_t g_recv[ServeSet::kMaxEndpoints][abi::RECV_BUFFER_MAX];

void push(const abi::CapSqe& s) {
  while (!ring().push(s)) (void)ring().enter(0, abi::CAP_ENTER_NO_WAIT);
}

// RECV failures that concern one call only; the endpoint stays usable.
bool per_call_error(int32_t r) {
  return r == abi::CAP_ERR_INVALID_PARAMS_BUFFER || r == abi::CAP_ERR_QUOTA_EXCEEDED ||
         r == abi::CAP_ERR_OVERLOADED || r == abi::CAP_ERR_INVALID_TRANSFER;
}

}  // namespace

Status ServeSet::add(Cap<schema::wire::Endpoint> ep, capnp::Server& server, uint64_t tag) {
  for (Slot& s : slots_) {
    if (s.used) continue;
    s = Slot{true, false, false, ep.id(), &server, tag, 0};
    return {};
  }
  return fail(Err::LimitExceeded);
}

void ServeSet::remove(uint64_t tag) {
  for (uint32_t i = 0; i < kMaxEndpoints; ++i) {
    Slot& s = slots_[i];
    if (!s.used || s.dying || s.tag != tag) continue;
    s.dying = true;
    // The endpoint being served still needs its RETURN: serve() releases it
    // after that.
    if (static_cast<int32_t>(i) == current_) continue;
    // Releasing the owner facet fails its posted RECV (DISCONNECTED); the
    // slot is freed when that completion is reaped.
    release_cap(s.ep);
    if (!s.armed) s = Slot{};
  }
}

Status ServeSet::serve() {
  for (;;) {
    for (uint32_t i = 0; i < kMaxEndpoints; ++i) {
      Slot& s = slots_[i];
      if (!s.used || s.armed || s.dying) continue;
      abi::CapSqe recv{};
      recv.opcode = abi::CAP_OP_RECV;
      recv.cap_id = s.ep;
      recv.result_addr = reinterpret_cast<uint64_t>(g_recv[i]);
      recv.result_len = sizeof(g_recv[i]);
      recv.user_data = s.recv_ud = ring().next_user_data();
      push(recv);
      s.armed = true;
    }
    int32_t ready = -1;
    abi::CapCqe c{};
    while (ready < 0) {
      // Polling one RECV may stash another's completion that arrived
      // meanwhile; wait_new does not sleep past such a CQE.
      uint64_t mark = ring().stash_mark();
      for (uint32_t i = 0; i < kMaxEndpoints && ready < 0; ++i)
        if (slots_[i].armed && ring().try_take(slots_[i].recv_ud, &c)) ready = static_cast<int32_t>(i);
      if (ready >= 0) break;
      if (auto r = ring().wait_new(mark); !r) return fail(r.error());
    }
    Slot& s = slots_[ready];
    s.armed = false;
    if (s.dying) {  // released by remove(): this was its RECV failing
      s = Slot{};
      continue;
    }
    if (c.result < 0) {
      if (!per_call_error(c.result)) {  // the endpoint is gone
        release_cap(s.ep);
        s = Slot{};
      }
      continue;
    }
    if (static_cast<size_t>(c.result) < sizeof(abi::EndpointMessageHeader)) continue;
    current_tag_ = s.tag;
    current_ = ready;
    const auto call = *reinterpret_cast<const abi::EndpointMessageHeader*>(g_recv[ready]);
    abi::CapSqe ret = handle_call(s.ep, g_recv[ready], c.result, *s.server);
    ret.user_data = ring().next_user_data();
    abi::CapCqe done = ring().call(ret);
    (void)finish_return(ret, call, done);  // a caller that vanished is no reason to stop
    current_tag_ = 0;
    current_ = -1;
    if (slots_[ready].dying) {
      release_cap(slots_[ready].ep);
      slots_[ready] = Slot{};
    }
  }
}

}  // namespace capos::rt
