// The IPC plumbing both ends of the split network driver share (vnetd
// and netd, docs/net.md): serving one endpoint by polling inside a loop
// that also waits for other things, mapping the shared rings, and a
// wake-up call with at most one in flight.
#pragma once

#include "lib/capnp/rpc.h"
#include "lib/net/frame_ring.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/memory_map.h"
#include "user/rt/ring.h"

namespace capos::drivers {

// One endpoint served from a polling loop: a RECV stays posted; a call
// that arrived is dispatched to `server` and answered at once.
class PolledEndpoint {
 public:
  PolledEndpoint(uint32_t ep, capnp::Server& server) : ep_(ep), server_(server) {}
  // Serves the call that arrived, if any. True when one was served.
  // Fails when the endpoint is gone.
  Result<bool> poll();

 private:
  uint32_t ep_;
  capnp::Server& server_;
  bool posted_ = false;
  uint64_t recv_ud_ = 0;
  alignas(16) uint8_t recv_[abi::RECV_BUFFER_MAX];
};

// Maps a rings MemoryObject read-write and checks its size (and, when
// `check_header`, the header the other side wrote).
Result<net::NicRings*> map_rings(rt::Cap<schema::wire::MemoryObject> mo, bool check_header);
Status unmap_rings(rt::Cap<schema::wire::MemoryObject> mo, net::NicRings* at);

// A wake-up call (a method without arguments, e.g. NicDoorbell.notify)
// on `cap`, asynchronous, at most one in flight: ring() while one is out
// only notes that another is due, sent when the first completes (the
// peer looks at the rings when it handles it, so nothing is lost).
class Doorbell {
 public:
  using BuildParams = Status (*)(capnp::MessageBuilder&);
  // Rings `cap` from now on. A call still out to the previous cap (a
  // driver that was replaced) is reaped without judging it.
  void set(uint32_t cap, uint64_t interface_id, uint16_t method, BuildParams build) {
    cap_ = cap;
    iface_ = interface_id;
    method_ = method;
    build_ = build;
    stale_ = call_.pending;
  }
  uint32_t cap() const { return cap_; }
  void ring();
  // Reaps a completed call (and sends a due one). Disconnected once the
  // peer's endpoint is gone.
  Status poll();

 private:
  uint32_t cap_ = 0;
  uint64_t iface_ = 0;
  uint16_t method_ = 0;
  BuildParams build_ = nullptr;
  bool due_ = false;
  bool stale_ = false;  // the call in flight went to a previous cap
  rt::AsyncCall call_;
  alignas(8) uint8_t result_[64];
};

}  // namespace capos::drivers
