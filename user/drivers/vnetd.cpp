// vnetd: the virtio-net driver as a process of its own (issue 19, docs/
// net.md). It owns the device (a `devices` grant narrowed to virtio-net)
// and shares frame rings with netd in a MemoryObject from its
// `frames` FrameAllocator (lib/net/frame_ring.h): received frames go
// into the rx ring, frames netd queued in the tx ring go to the device.
// Calls carry only wake-ups: NicPort.notify to netd after frames arrived,
// NicDoorbell.notify from netd after it queued some (each side keeps at
// most one in flight). At start it calls NicPort.attach (its `nic`
// grant, netd's endpoint), so after a crash init's restart policy starts
// a new vnetd that attaches again and netd's stack carries on.
#include "lib/net/frame_ring.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "user/drivers/nic_ipc.h"
#include "user/drivers/virtio_net.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/ring.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
using namespace capos::drivers;
namespace wire = capos::schema::wire;

namespace {

VirtioNet g_nic;
uint8_t g_frame[net::ETH_MAX_FRAME];
size_t g_held = 0;  // a frame taken from the tx ring that the device had no room for

// NicDoorbell: netd queued frames; the loop looks at the tx ring anyway.
class DoorbellServer final : public wire::NicDoorbell::Server {
 public:
  Status notify(wire::NicDoorbell::NotifyParams::Reader, wire::NicDoorbell::NotifyResults::Builder) override {
    return {};
  }
};

Status port_notify_params(capnp::MessageBuilder& mb) {
  CAPOS_TRY(wire::NicPort::Client::notifyParams(mb));
  return {};
}

Result<rt::Cap<wire::MemoryObject>> allocate_rings(rt::Cap<wire::FrameAllocator> frames) {
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  auto p = CAPOS_TRY(wire::FrameAllocator::Client::allocateParams(params));
  p.setPageCount(static_cast<uint32_t>(net::NIC_RINGS_PAGES));
  return rt::call_for_cap<wire::MemoryObject>(frames, static_cast<uint16_t>(wire::FrameAllocator::Method::ALLOCATE),
                                              params, resp);
}

// Our doorbell endpoint: the owner facet (ours) and the client (for netd).
Status make_doorbell(rt::Cap<wire::EndpointFactory> eps, uint32_t* owner, uint32_t* client) {
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  auto p = CAPOS_TRY(wire::EndpointFactory::Client::createParams(params));
  p.setServedInterfaceId(wire::NicDoorbell::kInterfaceId);
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(eps, 0, params, resp, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec, 2), &n));
  if (n != 2) return fail(Err::Corrupt);
  *owner = rec[0].cap_id;
  *client = rec[1].cap_id;
  return {};
}

Status attach(rt::Cap<wire::NicPort> port, rt::Cap<wire::MemoryObject> rings, uint32_t doorbell_client) {
  alignas(8) uint8_t pbuf[128], rbuf[256];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  auto p = CAPOS_TRY(wire::NicPort::Client::attachParams(params));
  p.setRings(0);
  p.setDoorbell(1);
  CAPOS_TRY_STATUS(p.setMac(Bytes(g_nic.mac().b, 6)));
  abi::CapTransferDesc xfer[2] = {{rings.id(), abi::XFER_COPY, {0, 0, 0}}, {doorbell_client, abi::XFER_MOVE, {0, 0, 0}}};
  uint32_t n = 0;
  return rt::call_with_caps(port, static_cast<uint16_t>(wire::NicPort::Method::ATTACH), params, resp,
                            Span<const abi::CapTransferDesc>(xfer, 2), Span<abi::CapTransferRecord>(), &n);
}

// Device -> rx ring; tx ring -> device. Whether a frame reached the rx ring.
Result<bool> pump(net::RingProducer& rx, net::RingConsumer& tx) {
  bool received = false;
  // Take from the device only while the ring has room: the rest wait in
  // the device's buffers (and the device drops when those are full).
  while (!rx.full()) {
    auto n = g_nic.receive(MutBytes(g_frame, sizeof(g_frame)));
    if (!n.ok()) {
      if (n.error() == Err::NotFound) break;
      return fail(n.error());  // the device reported nonsense
    }
    if (rx.push(Bytes(g_frame, *n))) received = true;
#ifdef VNETD_CRASH_EVERY_FRAMES
    // Fault injection for qemu.net_driver_restart only (the vnetd_crashy
    // build): the driver dies by a fault mid-traffic, frames in flight
    // and all, and init's restart policy starts the next one.
    static uint32_t seen = 0;
    if (++seen == VNETD_CRASH_EVERY_FRAMES) {
      rt::print("vnetd: injected fault\n");
      __builtin_trap();
    }
#endif
  }
  static uint8_t out[net::ETH_MAX_FRAME];
  for (;;) {
    if (g_held == 0) {
      auto n = tx.pop(MutBytes(out, sizeof(out)));
      if (!n.ok()) {
        if (n.error() == Err::Corrupt) continue;  // a bad slot from netd: skipped
        break;
      }
      g_held = *n;
    }
    if (Status st = g_nic.send(Bytes(out, g_held)); !st) {
      if (st.error() != Err::Overloaded) return fail(st.error());
      break;  // every transmit buffer is with the device: try after its interrupt
    }
    g_held = 0;
  }
  g_nic.kick();
  return received;
}

}  // namespace

int main() {
  auto devices = rt::capset_find<wire::DeviceManager>("devices");
  auto frames = rt::capset_find<wire::FrameAllocator>("frames");
  auto eps = rt::capset_find<wire::EndpointFactory>("eps");
  auto port = rt::capset_find<wire::NicPort>("nic");
  if (!devices || !frames || !eps || !port) {
    rt::print("vnetd: needs `devices` (DeviceManager), `frames` (FrameAllocator), `eps` (EndpointFactory) and "
              "`nic` (NicPort)\n");
    return 2;
  }
  if (Status st = g_nic.start(*devices); !st) {
    if (st.error() == Err::NotFound) {
      rt::print("vnetd: no virtio-net device\n");
      return 0;  // nothing to drive: not a failure, no restart
    }
    rt::printf("vnetd: cannot start virtio-net: {} ({})\n", err_name(st.error()), last_error());
    return 3;
  }
  auto mo = allocate_rings(*frames);
  auto rings = mo ? map_rings(*mo, false) : fail(mo.error());
  if (!rings) {
    rt::printf("vnetd: no memory for the rings: {}\n", err_name(rings.error()));
    return 4;
  }
  net::init_rings(**rings);
  uint32_t bell_owner = 0, bell_client = 0;
  if (Status st = make_doorbell(*eps, &bell_owner, &bell_client); !st) {
    rt::printf("vnetd: cannot make the doorbell: {}\n", err_name(st.error()));
    return 5;
  }
  if (Status st = attach(*port, *mo, bell_client); !st) {
    rt::printf("vnetd: NicPort.attach failed: {} ({})\n", err_name(st.error()), rt::call_exception());
    return 6;
  }
  const net::Mac& m = g_nic.mac();
  rt::printf("vnetd: virtio-net {:02x}:{:02x}.{} attached to netd, mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\n",
             g_nic.where().bus, g_nic.where().dev, g_nic.where().fn, m.b[0], m.b[1], m.b[2], m.b[3], m.b[4], m.b[5]);

  auto rx = net::RingProducer::rx(**rings);
  auto tx = net::RingConsumer::tx(**rings);
  DoorbellServer bell_server;
  PolledEndpoint bell(bell_owner, bell_server);
  Doorbell wake_netd;
  wake_netd.set(port->id(), wire::NicPort::kInterfaceId, static_cast<uint16_t>(wire::NicPort::Method::NOTIFY),
                port_notify_params);
  alignas(8) uint8_t wait_params[64], wait_result[64];
  rt::AsyncCall irq_wait;
  for (;;) {
    uint64_t mark = rt::ring().stash_mark();
    if (rt::poll_call(irq_wait) && irq_wait.cqe.result < 0) {
      rt::print("vnetd: interrupt wait failed\n");
      return 7;
    }
    auto served = bell.poll();
    if (!served) {
      rt::print("vnetd: doorbell endpoint failed\n");
      return 8;
    }
    if (Status st = wake_netd.poll(); !st) {
      rt::print("vnetd: netd is gone\n");
      return 9;
    }
    auto got = pump(rx, tx);
    if (!got) {
      rt::printf("vnetd: device fault: {}\n", err_name(got.error()));
      return 10;
    }
    if (*got) wake_netd.ring();
    if (*served || *got) continue;
    if (!irq_wait.pending) {
      capnp::FixedMessageBuilder p(MutBytes(wait_params, sizeof(wait_params)));
      (void)wire::Interrupt::Client::waitParams(p);
      if (!rt::submit_call(irq_wait, g_nic.irq(), 0, p, MutBytes(wait_result, sizeof(wait_result)))) return 11;
      continue;  // the device may have raised it before the wait was posted: look once more
    }
    (void)rt::ring().wait_new(mark);
  }
}
