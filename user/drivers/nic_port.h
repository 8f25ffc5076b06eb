// netd's end of the split network driver (docs/net.md): serves the
// NicPort grant a driver process (vnetd) attaches on, and moves frames
// through the rings it shares: received frames from the rx ring into the
// stack, the stack's frames into the tx ring, a doorbell call to the
// driver when it has frames to send. A driver that dies and is restarted
// attaches again; the stack carries on.
#pragma once

#include "lib/net/frame_ring.h"
#include "lib/net/wire.h"
#include "schema/net.capnp.capos.h"
#include "user/drivers/nic_ipc.h"

namespace capos::drivers {

class NicPortLink final : public schema::wire::NicPort::Server {
 public:
  explicit NicPortLink(uint32_t ep) : endpoint_(ep, *this) {}

  // Serves a call that arrived (attach, notify) and reaps the doorbell.
  // True when a call was served. Fails when the endpoint is gone.
  Result<bool> poll();
  // True once after each attach (netd then takes the MAC, link up).
  bool take_attach_event() {
    bool e = attach_event_;
    attach_event_ = false;
    return e;
  }
  bool attached() const { return rings_ != nullptr; }
  const net::Mac& mac() const { return mac_; }
  // One received frame into `out`. NotFound: none (or no driver).
  // Corrupt: the driver wrote a bad slot (skipped; counted by the caller).
  Result<size_t> receive(MutBytes out);
  // Queues one frame for the driver. Overloaded: the ring is full or no
  // driver is attached (the frame is lost; TCP sends it again).
  Status send(Bytes frame);
  // Whether send() would find a free slot (a frame for a missing driver
  // is dropped, so that counts as room).
  bool tx_room() const { return !rings_ || !tx_.full(); }
  // Wakes the driver if frames were queued since the last kick.
  void kick();

  Status attach(schema::wire::NicPort::AttachParams::Reader p,
                schema::wire::NicPort::AttachResults::Builder r) override;
  Status notify(schema::wire::NicPort::NotifyParams::Reader p,
                schema::wire::NicPort::NotifyResults::Builder r) override;

 private:
  void detach();

  PolledEndpoint endpoint_;
  net::NicRings* rings_ = nullptr;
  uint32_t rings_cap_ = 0;
  net::RingConsumer rx_;
  net::RingProducer tx_;
  Doorbell doorbell_;
  net::Mac mac_{};
  bool attach_event_ = false;
  bool sent_ = false;
};

}  // namespace capos::drivers
