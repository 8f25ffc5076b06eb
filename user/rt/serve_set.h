// rt::ServeSet: one thread serving several endpoints, each with its own
// server object and a tag the server reads back during dispatch
// (current_tag) to know which endpoint a call came in on — e.g. auditd's
// per-writer endpoints (the tag names the writer) or the broker's
// per-session UserSession endpoints. Endpoints can be added and removed
// while serving (also from inside a dispatch). One call at a time.
#pragma once

#include <stdint.h>

#include "lib/capnp/rpc.h"
#include "lib/core/result.h"
#include "schema/ipc.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::rt {

class ServeSet {
 public:
  static constexpr uint32_t kMaxEndpoints = 8;

  // Serves `ep` (an owner facet) with `server`. LimitExceeded when full.
  Status add(Cap<schema::wire::Endpoint> ep, capnp::Server& server, uint64_t tag);
  // Stops serving the endpoint(s) tagged `tag` and releases them (their
  // clients go stale). From inside a dispatch this takes effect after
  // that call's RETURN.
  void remove(uint64_t tag);
  // Serves until a ring failure (never returns otherwise).
  Status serve();
  // The tag of the endpoint whose call is being dispatched.
  uint64_t current_tag() const { return current_tag_; }

 private:
  struct Slot {
    bool used = false;
    bool armed = false;  // a RECV is posted
    bool dying = false;  // removed: release once no RECV is posted
    uint32_t ep = 0;
    capnp::Server* server = nullptr;
    uint64_t tag = 0;
    uint64_t recv_ud = 0;
  };
  Slot slots_[kMaxEndpoints];
  uint64_t current_tag_ = 0;
  int32_t current_ = -1;  // slot being dispatched
};

}  // namespace capos::rt
