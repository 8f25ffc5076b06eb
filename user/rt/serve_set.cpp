#include "user/rt/serve_set.h"

#include "user/rt/caps_call.h"
#include "user/rt/recv_wait.h"
#include "user/rt/ring.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"

namespace capos::rt {

namespace {

// One RECV buffer per endpoint: a call may arrive on any of them.
alignas(16) uint8_t g_recv[ServeSet::kMaxEndpoints][abi::RECV_BUFFER_MAX];

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
    uint64_t posted[kMaxEndpoints] = {};
    for (uint32_t i = 0; i < kMaxEndpoints; ++i) {
      Slot& s = slots_[i];
      if (s.used && !s.armed && !s.dying) {
        s.recv_ud = post_recv(s.ep, g_recv[i], sizeof(g_recv[i]));
        s.armed = true;
      }
      if (s.armed) posted[i] = s.recv_ud;
    }
    const RecvDone done_recv = CAPOS_TRY(wait_any_recv(posted));
    const uint32_t ready = done_recv.index;
    const abi::CapCqe c = done_recv.cqe;
    Slot& s = slots_[ready];
    s.armed = false;
    if (s.dying) {  // released by remove(): this was its RECV failing
      s = Slot{};
      continue;
    }
    if (c.result < 0) {
      if (!recv_error_is_per_call(c.result)) {  // the endpoint is gone
        release_cap(s.ep);
        s = Slot{};
      }
      continue;
    }
    if (static_cast<size_t>(c.result) < sizeof(abi::EndpointMessageHeader)) continue;
    current_tag_ = s.tag;
    current_ = static_cast<int32_t>(ready);
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
