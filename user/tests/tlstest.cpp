// tlstest: tlsd both ways over netd (qemu.net_tls, docs/tls.md).
// Client: TCP to the host's TLS servers (10.0.2.100 ports 8443 and 443
// through SLIRP guestfwd) through "fetch" (TcpConnector), then
// TlsConnector "tls": first to 8443 with a name the certificate does not
// carry (must be refused), then to 443 as "host.test": GET /tls, the body
// must match. Server: listen on
// port 443 through "net" (TcpListenAuthority), hand the accepted socket
// to TlsAcceptor "tlsserver", answer the host client's GET with a known
// body over TLS and close with close_notify; then a plain-HTTP client on
// the same port must be refused by the handshake.
#include "schema/kernel.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "schema/tls.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

struct Call {
  alignas(8) uint8_t pbuf[wire::MAX_TLS_WRITE_BYTES + 512];
  alignas(8) uint8_t rbuf[wire::MAX_TLS_READ_BYTES + 512];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};
Call g_c;
Call& fresh() {
  g_c.~Call();
  new (&g_c) Call();
  return g_c;
}

constexpr char HOST_BODY[] = "capOS fetched this over TLS from the host.\n";
constexpr char OUR_BODY[] = "capOS served this over TLS.\n";

// Offset of `needle` in `hay`.
Result<size_t> find(StrView hay, StrView needle) {
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (hay.substr(i, needle.size()) == needle) return i;
  return fail(Err::NotFound);
}

int fail_with(const char* what, Err e) {
  rt::printf("tlstest: FAILED: {}: {} ({})\n", what, err_name(e), rt::call_exception());
  return 1;
}

rt::Cap<wire::Timer> g_timer;

// One connection attempt; Busy when netd could not connect (yet).
Result<rt::Cap<wire::TcpSocket>> try_connect(rt::Cap<wire::TcpConnector> connector, uint16_t port) {
  Call& c = fresh();
  auto p = CAPOS_TRY(wire::TcpConnector::Client::connectParams(c.params));
  auto r = CAPOS_TRY(p.initRemote());
  r.setAddress(0x0A000264);  // 10.0.2.100
  r.setPort(port);
  p.setTimeoutMs(10000);
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(connector, 0, c.params, c.resp, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec, 1), &n));
  wire::TcpConnector::ConnectResult::Reader root(CAPOS_TRY(c.resp.root()));
  if (!root.isConnected() || n != 1) return fail(Err::Busy);
  return rt::record_cap<wire::TcpSocket>(rec[0]);
}

// Connects to 10.0.2.100:`port`, retrying while netd has no DHCP lease
// yet (up to 10 s).
Result<rt::Cap<wire::TcpSocket>> tcp_connect(rt::Cap<wire::TcpConnector> connector, uint16_t port) {
  for (int attempt = 0;; ++attempt) {
    auto s = try_connect(connector, port);
    if (s || s.error() != Err::Busy || attempt == 50) return s;
    Call& c = fresh();
    auto p = CAPOS_TRY(wire::Timer::Client::sleepParams(c.params));
    p.setDurationNs(200'000'000);
    (void)CAPOS_TRY(wire::Timer::Client(&rt::transport(), g_timer).sleep(c.params, c.resp));
  }
}

// Hands `sock` (moved) to tlsd: TlsConnector.connect (client, `name`) or
// TlsAcceptor.accept (server, name == nullptr).
template <class Iface>
Result<rt::Cap<wire::TlsStream>> wrap(rt::Cap<Iface> tls, rt::Cap<wire::TcpSocket> sock, const char* name) {
  Call& c = fresh();
  if constexpr (Iface::kInterfaceId == wire::TlsConnector::kInterfaceId) {
    auto p = CAPOS_TRY(wire::TlsConnector::Client::connectParams(c.params));
    p.setSocket(0);
    CAPOS_TRY_STATUS(p.setServerName(StrView(name)));
  } else {
    auto p = CAPOS_TRY(wire::TlsAcceptor::Client::acceptParams(c.params));
    p.setSocket(0);
  }
  abi::CapTransferDesc xfer[1] = {{sock.id(), abi::XFER_MOVE, {0, 0, 0}}};
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(tls, 0, c.params, c.resp, Span<const abi::CapTransferDesc>(xfer, 1),
                                      Span<abi::CapTransferRecord>(rec, 1), &n));
  if (n != 1) return fail(Err::Corrupt);
  return rt::record_cap<wire::TlsStream>(rec[0]);
}

Status tls_write(rt::Cap<wire::TlsStream> s, StrView text) {
  Call& c = fresh();
  auto p = CAPOS_TRY(wire::TlsStream::Client::writeParams(c.params));
  CAPOS_TRY_STATUS(p.setData(Bytes(reinterpret_cast<const uint8_t*>(text.ptr), text.size())));
  auto r = CAPOS_TRY(wire::TlsStream::Client(&rt::transport(), s).write(c.params, c.resp));
  if (r.getAccepted() != text.size()) return fail(Err::Truncated);
  return {};
}

// Reads until `stop` appears (nullptr: until the end of the stream).
Result<size_t> tls_read(rt::Cap<wire::TlsStream> s, char* out, size_t cap, const char* stop) {
  size_t have = 0;
  for (;;) {
    Call& c = fresh();
    auto p = CAPOS_TRY(wire::TlsStream::Client::readParams(c.params));
    p.setMaxBytes(wire::MAX_TLS_READ_BYTES);
    auto r = CAPOS_TRY(wire::TlsStream::Client(&rt::transport(), s).read(c.params, c.resp));
    if (r.getEof()) return have;
    Bytes d = CAPOS_TRY(r.getData());
    if (d.size() > cap - have) return fail(Err::OutOfRange);
    memcpy(out + have, d.data(), d.size());
    have += d.size();
    if (stop && find(StrView(out, have), StrView(stop))) return have;
  }
}

Status tls_close(rt::Cap<wire::TlsStream> s) {
  Call& c = fresh();
  (void)CAPOS_TRY(wire::TlsStream::Client::closeParams(c.params));
  (void)CAPOS_TRY(wire::TlsStream::Client(&rt::transport(), s).close(c.params, c.resp));
  rt::release_cap(s);
  return {};
}

char g_page[8192];

// Bad input changes nothing: no socket attached, and a cap that is not a
// TcpSocket (the connector itself, copied), are refused before any I/O.
int bad_calls(rt::Cap<wire::TlsConnector> tls) {
  {
    Call& c = fresh();
    auto p = wire::TlsConnector::Client::connectParams(c.params);
    if (!p || !p->setServerName(StrView("host.test"))) return 1;
    p->setSocket(0);
    auto r = wire::TlsConnector::Client(&rt::transport(), tls).connect(c.params, c.resp);
    rt::printf("tlstest: connect without a socket: {} ({})\n", r ? "ACCEPTED" : err_name(r.error()),
               rt::transport().last_exception());
    if (r) return 1;
  }
  Call& c = fresh();
  auto p = wire::TlsConnector::Client::connectParams(c.params);
  if (!p || !p->setServerName(StrView("host.test"))) return 1;
  p->setSocket(0);
  abi::CapTransferDesc xfer[1] = {{tls.id(), abi::XFER_COPY, {0, 0, 0}}};
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  Status st = rt::call_with_caps(tls, 0, c.params, c.resp, Span<const abi::CapTransferDesc>(xfer, 1),
                                 Span<abi::CapTransferRecord>(rec, 1), &n);
  rt::printf("tlstest: connect with a TlsConnector as the socket: {} ({})\n", st ? "ACCEPTED" : err_name(st.error()),
             rt::call_exception());
  return st ? 1 : 0;
}

int client(rt::Cap<wire::TcpConnector> connector, rt::Cap<wire::TlsConnector> tls) {
  if (bad_calls(tls) != 0) return 1;
  // A name the host's certificate does not carry: refused by the check.
  {
    auto sock = tcp_connect(connector, 8443);
    if (!sock) return fail_with("tcp connect", sock.error());
    auto s = wrap(tls, *sock, "wrong.test");
    rt::printf("tlstest: connect as wrong.test: {} ({})\n", s ? "ACCEPTED" : err_name(s.error()), rt::call_exception());
    if (s) return 1;
  }
  auto sock = tcp_connect(connector, 443);
  if (!sock) return fail_with("tcp connect", sock.error());
  auto s = wrap(tls, *sock, "host.test");
  if (!s) return fail_with("tls connect host.test", s.error());
  {
    Call& c = fresh();
    if (!wire::TlsStream::Client::infoParams(c.params)) return 1;
    auto info = wire::TlsStream::Client(&rt::transport(), *s).info(c.params, c.resp);
    if (!info) return fail_with("info", info.error());
    auto sni = info->getServerName();
    rt::printf("tlstest: session version {:#x} suite {:#x} name {}\n", info->getVersion(), info->getCipherSuite(),
               sni ? *sni : StrView("?"));
  }
  if (auto w = tls_write(*s, "GET /tls HTTP/1.1\r\nHost: host.test\r\nConnection: close\r\n\r\n"); !w)
    return fail_with("write request", w.error());
  auto n = tls_read(*s, g_page, sizeof(g_page), nullptr);
  if (!n) return fail_with("read response", n.error());
  StrView page(g_page, *n);
  auto line = find(page, StrView("\r\n"));
  rt::printf("tlstest: fetched {} bytes over TLS: {}\n", *n, page.substr(0, line ? *line : 0));
  auto body = find(page, StrView("\r\n\r\n"));
  bool ok = body && page.substr(*body + 4) == StrView(HOST_BODY);
  rt::printf("tlstest: body {}\n", ok ? "matches" : "DIFFERS");
  if (auto c = tls_close(*s); !c) return fail_with("close", c.error());
  return ok ? 0 : 1;
}

int server(rt::Cap<wire::TcpListenAuthority> auth, rt::Cap<wire::TlsAcceptor> tls) {
  Call& c = fresh();
  auto lp = wire::TcpListenAuthority::Client::listenParams(c.params);
  if (!lp) return 1;
  lp->setPort(443);
  lp->setBacklog(4);
  auto listener = rt::call_for_cap<wire::TcpListener>(auth, 0, c.params, c.resp);
  if (!listener) return fail_with("listen 443", listener.error());
  rt::print("tlstest: listening on port 443\n");
  Call& a = fresh();
  (void)wire::TcpListener::Client::acceptParams(a.params);
  auto sock = rt::call_for_cap<wire::TcpSocket>(*listener, 0, a.params, a.resp);
  if (!sock) return fail_with("accept", sock.error());
  auto s = wrap(tls, *sock, nullptr);
  if (!s) return fail_with("tls accept", s.error());
  auto n = tls_read(*s, g_page, sizeof(g_page), "\r\n\r\n");
  if (!n) return fail_with("read request", n.error());
  StrView req(g_page, *n);
  auto line = find(req, StrView("\r\n"));
  rt::printf("tlstest: request over TLS: {}\n", req.substr(0, line ? *line : 0));
  static char resp[256];
  size_t len = 0;
  StrView head("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 28\r\n\r\n");
  static_assert(sizeof(OUR_BODY) - 1 == 28);
  memcpy(resp, head.ptr, head.size());
  len += head.size();
  memcpy(resp + len, OUR_BODY, sizeof(OUR_BODY) - 1);
  len += sizeof(OUR_BODY) - 1;
  if (auto w = tls_write(*s, StrView(resp, len)); !w) return fail_with("write response", w.error());
  if (auto cl = tls_close(*s); !cl) return fail_with("close", cl.error());
  rt::print("tlstest: served the page over TLS\n");
  // A client that speaks plain HTTP to the TLS port: the handshake fails
  // with a clear error, and tlsd goes on serving (info on a new call).
  Call& b = fresh();
  (void)wire::TcpListener::Client::acceptParams(b.params);
  auto plain = rt::call_for_cap<wire::TcpSocket>(*listener, 0, b.params, b.resp);
  if (!plain) return fail_with("accept", plain.error());
  auto bad = wrap(tls, *plain, nullptr);
  rt::printf("tlstest: non-TLS client: {} ({})\n", bad ? "ACCEPTED" : err_name(bad.error()), rt::call_exception());
  return bad ? 1 : 0;
}

}  // namespace

int main() {
  auto connector = rt::capset_find<wire::TcpConnector>("fetch");
  auto tls = rt::capset_find<wire::TlsConnector>("tls");
  auto auth = rt::capset_find<wire::TcpListenAuthority>("net");
  auto acceptor = rt::capset_find<wire::TlsAcceptor>("tlsserver");
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!connector || !tls || !auth || !acceptor || !timer) {
    rt::print("tlstest: FAILED: needs fetch, tls, net, tlsserver and timer\n");
    return 2;
  }
  g_timer = *timer;
  int rc = client(*connector, *tls);
  if (rc == 0) rc = server(*auth, *acceptor);
  rt::printf("tlstest: done ({})\n", rc == 0 ? "ok" : "FAILED");
  return rc;
}
