// netd: the network stack service. Runs lib/net's Stack in one loop:
// frames the device received go into the stack, frames the stack queued
// go to the device, timers run at the stack's next deadline, and the
// process sleeps in cap_enter until the device's interrupt (or the
// driver's wake-up), a call, or that deadline. The device is reached
// either through a driver process of its own (vnetd) that attaches on a
// NicPort grant and shares frame rings with netd (user/drivers/
// nic_port.h; a driver restart is contained), or, with a `devices` grant
// and no NicPort grant, through the virtio-net driver inside netd
// (user/drivers/virtio_net.h). The address comes from DHCP. The capabilities of
// schema/net.capnp are served by NetServer (user/drivers/net_server.h):
// every endpoint grant is served by the interface it was declared with,
// its scope read from its cap name (lib/net/grant_names.h, docs/net.md).
#include "lib/core/cstring.h"
#include "lib/net/grant_names.h"
#include "lib/net/stack.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/drivers/net_server.h"
#include "user/drivers/nic_port.h"
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

constexpr uint64_t MAX_SLEEP_NS = 50'000'000;  // look at the stack at least every 50 ms

VirtioNet g_nic;
NicPortLink* g_port;  // the driver is a process of its own
bool g_bad_slot_logged = false;  // once per attachment: a hostile driver cannot flood the log
net::Stack* g_stack;
alignas(net::Stack) uint8_t g_stack_storage[sizeof(net::Stack)];
uint8_t g_frame[net::ETH_MAX_FRAME];

Result<uint64_t> now_ms(rt::Cap<wire::Timer> timer) {
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  (void)wire::Timer::Client::nowParams(params);
  wire::Timer::Client client(&rt::transport(), timer);
  auto r = client.now(params, resp);
  if (!r) return fail(r.error());
  return r->getMonotonicNs() / 1'000'000;
}

// Dotted-quad text of `a`, for log lines written in one piece (on several
// CPUs another process's line could land between the parts of a line
// written piecewise).
StrView ip_text(net::Ip4 a, char (&buf)[16]) {
  return format_to(buf, sizeof buf, "{}.{}.{}.{}", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

Result<uint64_t> served_interface(uint32_t ep) {
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  (void)wire::Endpoint::Client::infoParams(params);
  auto r = wire::Endpoint::Client(&rt::transport(), rt::Cap<wire::Endpoint>::unchecked(ep)).info(params, resp);
  if (!r) return fail(r.error());
  return r->getServedInterfaceId();
}

// The NicPort endpoint grant a driver process attaches on (0: none).
Result<uint32_t> find_port_grant() {
  for (uint32_t i = 0; i < rt::capset_count(); ++i) {
    const abi::CapSetEntry* e = rt::capset_entry(i);
    if (!e || e->interface_id != wire::Endpoint::kInterfaceId) continue;
    if (CAPOS_TRY(served_interface(e->cap_id)) == wire::NicPort::kInterfaceId) return e->cap_id;
  }
  return 0u;
}

// Serves every endpoint grant by the interface it was declared with.
Status add_services(NetServer& server) {
  for (uint32_t i = 0; i < rt::capset_count(); ++i) {
    const abi::CapSetEntry* e = rt::capset_entry(i);
    if (!e || e->interface_id != wire::Endpoint::kInterfaceId) continue;
    StrView name = rt::capset_name(*e);
    uint64_t served = CAPOS_TRY(served_interface(e->cap_id));
    if (served == wire::TcpListenAuthority::kInterfaceId) {
      auto g = CAPOS_TRY(net::parse_grant_name(net::GrantKind::Listen, name.ptr, name.len));
      CAPOS_TRY_STATUS(server.add_authority(e->cap_id, g.first, g.last));
      rt::printf("netd: TcpListenAuthority for ports {}-{}\n", g.first, g.last);
    } else if (served == wire::TcpConnector::kInterfaceId) {
      auto g = CAPOS_TRY(net::parse_grant_name(net::GrantKind::Connect, name.ptr, name.len));
      CAPOS_TRY_STATUS(server.add_connector(e->cap_id, g.network, g.prefix, g.first, g.last));
      char ip[16];
      rt::printf("netd: TcpConnector for {}/{} ports {}-{}\n", ip_text(g.network, ip), g.prefix, g.first, g.last);
    } else if (served == wire::UdpSocket::kInterfaceId) {
      auto g = CAPOS_TRY(net::parse_grant_name(net::GrantKind::Udp, name.ptr, name.len));
      CAPOS_TRY_STATUS(server.add_udp(e->cap_id, g.port, g.network, g.prefix, g.first, g.last));
      char ip[16];
      rt::printf("netd: UdpSocket on port {} for {}/{} ports {}-{}\n", g.port, ip_text(g.network, ip), g.prefix, g.first,
                 g.last);
    } else if (served == wire::Resolver::kInterfaceId) {
      CAPOS_TRY_STATUS(server.add_resolver(e->cap_id));
      rt::print("netd: Resolver\n");
    } else if (served == wire::NetworkManager::kInterfaceId) {
      CAPOS_TRY_STATUS(server.add_manager(e->cap_id));
      rt::print("netd: NetworkManager\n");
    }
  }
  return {};
}

// False when the machine has no virtio-net: netd still serves its
// capabilities (interfaces report the link down, nothing is sent), so the
// rest of a system that imports them runs unchanged.
bool g_have_nic = true;

// Frames between the stack and a driver process's rings; whether any
// frame moved.
bool pump_port(uint64_t now) {
  bool moved = false;
  for (;;) {
    auto n = g_port->receive(MutBytes(g_frame, sizeof(g_frame)));
    if (!n.ok()) {
      // Corrupt: a bad slot from the driver, skipped (or indices out of
      // range: nothing more is taken until it attaches again).
      if (n.error() == Err::Corrupt && !g_bad_slot_logged) rt::print("netd: driver wrote a bad frame slot\n");
      g_bad_slot_logged |= n.error() == Err::Corrupt;
      break;
    }
    g_stack->receive_frame(Bytes(g_frame, *n), now);
    moved = true;
  }
  // Frames stay in the stack's queue while the ring is full.
  while (g_port->tx_room()) {
    auto n = g_stack->pop_frame(MutBytes(g_frame, sizeof(g_frame)));
    if (!n.ok()) break;
    moved = true;
    if (!g_port->send(Bytes(g_frame, *n))) break;  // no driver: lost, TCP sends it again
  }
  g_port->kick();
  return moved;
}

Status pump_device(uint64_t now) {
  if (g_port) {
    (void)pump_port(now);
    return {};
  }
  if (!g_have_nic) {
    while (g_stack->pop_frame(MutBytes(g_frame, sizeof(g_frame))).ok()) {}  // no link: dropped
    return {};
  }
  for (;;) {
    auto n = g_nic.receive(MutBytes(g_frame, sizeof(g_frame)));
    if (!n.ok()) {
      if (n.error() == Err::NotFound) break;
      return fail(n.error());
    }
    g_stack->receive_frame(Bytes(g_frame, *n), now);
  }
  for (;;) {
    auto n = g_stack->pop_frame(MutBytes(g_frame, sizeof(g_frame)));
    if (!n.ok()) break;
    if (Status st = g_nic.send(Bytes(g_frame, *n)); !st) {
      if (st.error() != Err::Overloaded) return st;
      break;  // the transmit ring is full: the frame is lost, TCP will send it again
    }
  }
  g_nic.kick();
  return {};
}

}  // namespace

int main() {
  auto devices = rt::capset_find<wire::DeviceManager>("devices");
  auto timer = rt::capset_find<wire::Timer>("timer");
  auto eps = rt::capset_find<wire::EndpointFactory>("eps");
  auto port_ep = find_port_grant();
  if (!port_ep || (!devices && !*port_ep) || !timer || !eps) {
    rt::print("netd: needs `timer` (Timer), `eps` (EndpointFactory), and a NicPort endpoint grant or `devices` "
              "(DeviceManager)\n");
    return 2;
  }
  static const net::Mac no_mac{};
  if (*port_ep) {
    static NicPortLink port(*port_ep);
    g_port = &port;
    g_have_nic = false;  // until a driver attaches
    rt::print("netd: waiting for a driver on NicPort\n");
  } else if (Status st = g_nic.start(*devices); !st) {
    if (st.error() != Err::NotFound) {
      rt::printf("netd: cannot start virtio-net: {} ({})\n", err_name(st.error()), last_error());
      return 3;
    }
    g_have_nic = false;
    rt::print("netd: no virtio-net device: serving with the link down\n");
  }
  const net::Mac& m = g_have_nic ? g_nic.mac() : no_mac;
  if (g_have_nic)
    rt::printf("netd: virtio-net {:02x}:{:02x}.{} ready, mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\n",
               g_nic.where().bus, g_nic.where().dev, g_nic.where().fn, m.b[0], m.b[1], m.b[2], m.b[3], m.b[4],
               m.b[5]);
  auto t0 = now_ms(*timer);
  if (!t0) return 4;
  g_stack = new (g_stack_storage) net::Stack(m, net::TcpTuning{}, *t0 * 0x9E3779B97F4A7C15ull ^ 0xC0FFEE);
  if (g_have_nic) {
    g_stack->start_dhcp(*t0);
    g_stack->start_ipv6(*t0);
  }
  bool dhcp_started = g_have_nic;
  static NetServer server(*g_stack, *eps);
  server.set_link_up(g_have_nic);
  // Optional: the memory TcpSocket.buffers hands out (shared socket buffers).
  if (auto frames = rt::capset_find<wire::FrameAllocator>("frames")) server.set_frames(*frames);
  if (Status st = add_services(server); !st) {
    rt::printf("netd: bad grant (names: listen-<first>-<last>, connect-<a.b.c.d>-<prefix>-<first>-<last>, "
               "udp-<port>-<a.b.c.d>-<prefix>-<first>-<last>): {}\n",
               err_name(st.error()));
    return 5;
  }

  alignas(8) uint8_t wait_params[64], wait_result[64];
  rt::AsyncCall wait;
  bool reported = false;
  for (;;) {
    auto now = now_ms(*timer);
    if (!now) return 6;
    if (g_port) {
      auto p = g_port->poll();
      if (!p) {
        rt::printf("netd: NicPort failed: {}\n", err_name(p.error()));
        return 11;
      }
      if (g_port->take_attach_event()) {
        const net::Mac& a = g_port->mac();
        rt::printf("netd: driver attached, mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\n", a.b[0], a.b[1], a.b[2],
                   a.b[3], a.b[4], a.b[5]);
        g_stack->set_mac(a);
        g_bad_slot_logged = false;
        server.set_link_up(true);
        if (!dhcp_started) {
          g_stack->start_dhcp(*now);
          g_stack->start_ipv6(*now);
        }
        dhcp_started = true;
      }
    }
    if (rt::poll_call(wait) && wait.cqe.result < 0) {
      rt::print("netd: interrupt wait failed\n");
      return 7;
    }
    if (Status st = pump_device(*now); !st) {
      rt::printf("netd: device fault: {}\n", err_name(st.error()));
      return 8;
    }
    uint64_t deadline = g_stack->next_deadline();
    if (deadline && deadline <= *now) g_stack->tick(*now);
    if (!reported && g_stack->dhcp().bound()) {
      reported = true;
      char a[16], g[16], d[16];
      rt::printf("netd: lease {}/{} router {} dns {} for {} s\n", ip_text(g_stack->address(), a), g_stack->prefix(),
                 ip_text(g_stack->gateway(), g), ip_text(g_stack->dns_server(), d), g_stack->dhcp().lease().lease_s);
    }
    auto served = server.poll(*now);
    if (!served) {
      rt::printf("netd: serving failed: {}\n", err_name(served.error()));
      return 10;
    }
    if (Status st = pump_device(*now); !st) return 8;
    if (*served) continue;  // answers may have opened windows or queued data: look again before sleeping
    uint64_t sleep_ns = MAX_SLEEP_NS;
    deadline = g_stack->next_deadline();
    if (deadline > *now && (deadline - *now) * 1'000'000 < sleep_ns) sleep_ns = (deadline - *now) * 1'000'000;
    if (g_port) {
      // A call, the driver's wake-up or the deadline wakes us. Polling may
      // stash a completion that arrived meanwhile: wait_new sees it.
      uint64_t mark = rt::ring().stash_mark();
      auto p = g_port->poll();
      if (!p || *p) continue;
      auto again = server.poll(*now);
      if (!again || *again) continue;
      if (pump_port(*now)) continue;
      (void)rt::ring().wait_new(mark, sleep_ns);
      continue;
    }
    if (!g_have_nic) {
      (void)rt::ring().enter(1, sleep_ns);  // a call or the deadline wakes us
      continue;
    }
    if (!wait.pending) {
      capnp::FixedMessageBuilder p(MutBytes(wait_params, sizeof(wait_params)));
      (void)wire::Interrupt::Client::waitParams(p);
      if (!rt::submit_call(wait, g_nic.irq(), 0, p, MutBytes(wait_result, sizeof(wait_result)))) return 9;
    }
    if (!wait.pending || rt::poll_call(wait)) continue;
    // poll_call may have stashed a call's completion: look once more, then sleep.
    auto again = server.poll(*now);
    if (!again || *again) continue;
    (void)rt::ring().enter(1, sleep_ns);
  }
}
