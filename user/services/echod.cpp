// echod: a TCP echo server (RFC 862) that reaches the network only
// through the TcpListenAuthority its manifest grants ("net"): listen on
// port 7, accept one connection at a time, send every byte back, close
// when the peer does. The first client of netd's capabilities
// (docs/net.md).
#include "schema/net.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

constexpr uint16_t PORT = 7;

struct Call {
  alignas(8) uint8_t pbuf[wire::MAX_TCP_WRITE_BYTES + 256];
  alignas(8) uint8_t rbuf[wire::MAX_TCP_READ_BYTES + 256];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};
Call g_call;
uint8_t g_data[wire::MAX_TCP_READ_BYTES];

void reset_call() {
  g_call.params.~FixedMessageBuilder();
  new (&g_call.params) capnp::FixedMessageBuilder(MutBytes(g_call.pbuf, sizeof(g_call.pbuf)));
}

// Echoes one connection; returns the bytes echoed.
Result<uint64_t> serve(rt::Cap<wire::TcpSocket> sock) {
  wire::TcpSocket::Client c(&rt::transport(), sock);
  uint64_t total = 0;
  for (;;) {
    reset_call();
    auto rp = wire::TcpSocket::Client::readParams(g_call.params);
    if (!rp) return fail(Err::Failed);
    rp->setMaxBytes(wire::MAX_TCP_READ_BYTES);
    auto r = c.read(g_call.params, g_call.resp);
    if (!r) return fail(r.error());
    if (r->getEof()) break;
    auto data = r->getData();
    if (!data) return fail(Err::Corrupt);
    size_t n = data->size();
    memcpy(g_data, data->data(), n);
    size_t sent = 0;
    while (sent < n) {
      reset_call();
      auto wp = wire::TcpSocket::Client::writeParams(g_call.params);
      if (!wp || !wp->setData(Bytes(g_data + sent, n - sent))) return fail(Err::Failed);
      auto w = c.write(g_call.params, g_call.resp);
      if (!w) return fail(w.error());
      sent += w->getAccepted();
    }
    total += n;
  }
  reset_call();
  (void)wire::TcpSocket::Client::shutdownParams(g_call.params);
  auto s = c.shutdown(g_call.params, g_call.resp);
  if (!s) return fail(s.error());
  return total;
}

}  // namespace

int main() {
  auto auth = rt::capset_find<wire::TcpListenAuthority>("net");
  if (!auth) {
    rt::print("echod: no network grant (`net` TcpListenAuthority): nothing to listen with\n");
    return 2;
  }
  reset_call();
  auto lp = wire::TcpListenAuthority::Client::listenParams(g_call.params);
  if (!lp) return 3;
  lp->setPort(PORT);
  lp->setBacklog(4);
  auto listener = rt::call_for_cap<wire::TcpListener>(*auth, 0, g_call.params, g_call.resp);
  if (!listener) {
    rt::printf("echod: listen on port {} refused: {} ({})\n", PORT, err_name(listener.error()), rt::call_exception());
    return 4;
  }
  // Outside the granted range: refused by netd, nothing changes.
  reset_call();
  auto bad = wire::TcpListenAuthority::Client::listenParams(g_call.params);
  bad->setPort(80);
  bad->setBacklog(4);
  auto refused = rt::call_for_cap<wire::TcpListener>(*auth, 0, g_call.params, g_call.resp);
  rt::printf("echod: listen on port 80: {} ({})\n", refused ? "accepted?!" : err_name(refused.error()),
             rt::call_exception());
  rt::printf("echod: listening on port {}\n", PORT);
  for (;;) {
    reset_call();
    (void)wire::TcpListener::Client::acceptParams(g_call.params);
    auto sock = rt::call_for_cap<wire::TcpSocket>(*listener, 0, g_call.params, g_call.resp);
    if (!sock) {
      rt::printf("echod: accept failed: {}\n", err_name(sock.error()));
      return 5;
    }
    rt::print("echod: connection accepted\n");
    auto n = serve(*sock);
    if (n) rt::printf("echod: connection closed after {} bytes\n", *n);
    else rt::printf("echod: connection failed: {}\n", err_name(n.error()));
    rt::release_cap(*sock);
  }
}
