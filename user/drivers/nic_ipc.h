// The IPC plumbing both ends of the split network driver share (vnetd
// and netd, docs/net.md): serving one endpoint by polling inside a loop
// that also waits for other things, mapping the shared rings, and the
// wake-ups between them.
//
// A wake-up is a call without arguments (NicPort.notify, NicDoorbell.
// notify). Its receiver does not answer it at once but holds it: the
// answer is how the receiver wakes the caller next time it has frames
// for it. Answering at once would wake the caller for nothing (one wasted
// switch and loop pass each way per request/response round trip).
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
  using BuildMessage = Status (*)(capnp::MessageBuilder&);
  PolledEndpoint(uint32_t ep, capnp::Server& server) : ep_(ep), server_(server) {}
  // Calls of `method` (of the served interface: a wake-up without
  // arguments) are held instead of served; `results` builds the answer
  // answer_held() gives. The newest is held: an older one is answered
  // when another arrives.
  void hold(uint16_t method, BuildMessage results) {
    hold_method_ = method;
    hold_results_ = results;
  }
  // Serves (or holds) the call that arrived, if any. True when one
  // arrived. Fails when the endpoint is gone.
  Result<bool> poll();
  bool holding() const { return held_; }
  // Answers the held call: its caller wakes.
  void answer_held();
  // Forgets the held call without answering it (its caller is gone).
  void drop_held() { held_ = false; }

 private:
  // The call a RECV delivered (`received` bytes): held or answered.
  void serve(int32_t received);

  uint32_t ep_;
  capnp::Server& server_;
  int32_t hold_method_ = -1;
  BuildMessage hold_results_ = nullptr;
  bool held_ = false;
  uint32_t held_call_ = 0;
  bool posted_ = false;
  uint64_t recv_ud_ = 0;
  alignas(16) uint8_t recv_[abi::RECV_BUFFER_MAX];
};

// Maps a rings MemoryObject read-write and checks its size (and, when
// `check_header`, the header the other side wrote).
Result<net::NicRings*> map_rings(rt::Cap<schema::wire::MemoryObject> mo, bool check_header);
Status unmap_rings(rt::Cap<schema::wire::MemoryObject> mo, net::NicRings* at);

// Waking the peer: by answering the peer's held wake-up call when there
// is one (`incoming`), else by a wake-up call (a method without
// arguments, e.g. NicDoorbell.notify) on `cap`, asynchronous. The peer
// holds our call, so a second may be needed while the first is held: at
// most two are in flight, and a wake-up due while both are out is sent
// when one completes (the peer looks at the rings when it handles a
// call, so nothing is lost).
class Doorbell {
 public:
  using BuildParams = Status (*)(capnp::MessageBuilder&);
  static constexpr uint32_t IN_FLIGHT = 2;
  // Rings `cap` from now on. Calls still out to the previous cap (a
  // driver that was replaced) are reaped without judging them.
  void set(uint32_t cap, uint64_t interface_id, uint16_t method, BuildParams build) {
    cap_ = cap;
    iface_ = interface_id;
    method_ = method;
    build_ = build;
    for (Slot& s : slots_) s.stale = s.call.pending;
  }
  // The endpoint whose held call, when there is one, is answered instead.
  void set_incoming(PolledEndpoint* incoming) { incoming_ = incoming; }
  uint32_t cap() const { return cap_; }
  void ring();
  // Reaps completed calls (and sends a due one). Disconnected once the
  // peer's endpoint is gone.
  Status poll();

 private:
  struct Slot {
    rt::AsyncCall call;
    bool stale = false;  // went to a previous cap
    alignas(8) uint8_t result[64];
  };
  uint32_t cap_ = 0;
  uint64_t iface_ = 0;
  uint16_t method_ = 0;
  BuildParams build_ = nullptr;
  PolledEndpoint* incoming_ = nullptr;
  bool due_ = false;
  Slot slots_[IN_FLIGHT];
};

}  // namespace capos::drivers
