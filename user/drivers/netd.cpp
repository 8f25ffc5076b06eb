// netd: the network stack service. Drives the virtio-net device
// (user/drivers/virtio_net.h) and lib/net's Stack in one loop: frames
// the device received go into the stack, frames the stack queued go to
// the device, timers run at the stack's next deadline, and the process
// sleeps in cap_enter until the device's interrupt or that deadline.
// The address comes from DHCP. Until the socket capabilities of
// schema/net.capnp are served, netd itself answers TCP echo (RFC 862) on
// port 7, the first application of the stack (docs/net.md).
#include "lib/net/stack.h"
#include "schema/kernel.capnp.capos.h"
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

constexpr uint16_t ECHO_PORT = 7;
constexpr uint64_t MAX_SLEEP_NS = 50'000'000;  // look at the stack at least every 50 ms

VirtioNet g_nic;
net::Stack* g_stack;
alignas(net::Stack) uint8_t g_stack_storage[sizeof(net::Stack)];
uint8_t g_frame[net::ETH_MAX_FRAME];

struct Echo {
  bool used = false;
  net::NetHandle h;
  uint8_t pending[2048];
  size_t have = 0, sent = 0;
};
Echo g_echo[4];

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

void print_ip(const char* what, net::Ip4 a) {
  rt::printf("{}{}.{}.{}.{}", what, a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

// The echo application: accept, copy what arrives back, close when the peer does.
void run_echo(net::NetHandle listener, uint64_t now) {
  for (Echo& e : g_echo) {
    if (e.used) continue;
    auto h = g_stack->tcp_accept(listener);
    if (!h.ok()) break;
    e = Echo{};
    e.used = true;
    e.h = *h;
    auto c = g_stack->tcp(e.h);
    rt::printf("netd: echo: connection from ");
    print_ip("", (*c)->remote_ip());
    rt::printf(":{}\n", (*c)->remote_port());
  }
  for (Echo& e : g_echo) {
    if (!e.used) continue;
    auto c = g_stack->tcp(e.h);
    if (!c.ok()) {
      e.used = false;
      continue;
    }
    net::TcpConnection* conn = *c;
    if (e.sent == e.have) {
      e.sent = e.have = 0;
      e.have = conn->read(MutBytes(e.pending, sizeof(e.pending)));
    }
    if (e.sent < e.have) e.sent += conn->write(Bytes(e.pending + e.sent, e.have - e.sent));
    bool done = conn->state() == net::TcpState::Closed || (conn->eof() && e.sent == e.have);
    if (done) {
      rt::printf("netd: echo: connection closed ({})\n", net::tcp_state_name(conn->state()));
      g_stack->tcp_release(e.h);
      e.used = false;
    }
  }
  g_stack->flush(now);
}

Status pump_device(uint64_t now) {
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
  if (!devices || !timer) {
    rt::print("netd: needs `devices` (DeviceManager) and `timer` (Timer)\n");
    return 2;
  }
  if (Status st = g_nic.start(*devices); !st) {
    rt::printf("netd: cannot start virtio-net: {} ({})\n", err_name(st.error()), last_error());
    return 3;
  }
  const net::Mac& m = g_nic.mac();
  rt::printf("netd: virtio-net {:02x}:{:02x}.{} ready, mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\n",
             g_nic.where().bus, g_nic.where().dev, g_nic.where().fn, m.b[0], m.b[1], m.b[2], m.b[3], m.b[4],
             m.b[5]);
  auto t0 = now_ms(*timer);
  if (!t0) return 4;
  g_stack = new (g_stack_storage) net::Stack(m, net::TcpTuning{}, *t0 * 0x9E3779B97F4A7C15ull ^ 0xC0FFEE);
  g_stack->start_dhcp(*t0);
  auto listener = g_stack->tcp_listen(ECHO_PORT, 4);
  if (!listener.ok()) return 5;

  alignas(8) uint8_t wait_params[64], wait_result[64];
  rt::AsyncCall wait;
  bool reported = false;
  for (;;) {
    auto now = now_ms(*timer);
    if (!now) return 6;
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
      print_ip("netd: lease ", g_stack->address());
      rt::printf("/{}", g_stack->prefix());
      print_ip(" router ", g_stack->gateway());
      print_ip(" dns ", g_stack->dns_server());
      rt::printf(" for {} s\n", g_stack->dhcp().lease().lease_s);
      rt::printf("netd: echo: listening on port {}\n", ECHO_PORT);
    }
    run_echo(*listener, *now);
    if (Status st = pump_device(*now); !st) return 8;
    if (!wait.pending) {
      capnp::FixedMessageBuilder p(MutBytes(wait_params, sizeof(wait_params)));
      (void)wire::Interrupt::Client::waitParams(p);
      if (!rt::submit_call(wait, g_nic.irq(), 0, p, MutBytes(wait_result, sizeof(wait_result)))) return 9;
    }
    uint64_t sleep_ns = MAX_SLEEP_NS;
    deadline = g_stack->next_deadline();
    if (deadline > *now && (deadline - *now) * 1'000'000 < sleep_ns) sleep_ns = (deadline - *now) * 1'000'000;
    if (!wait.pending || rt::poll_call(wait)) continue;
    (void)rt::ring().enter(1, sleep_ns);
  }
}
