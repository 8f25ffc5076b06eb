// nettest: a client of netd's capabilities for qemu.net_fetch. With its
// NetworkManager ("netmgr"), Resolver ("dns") and TcpConnector
// ("fetch", scoped by the manifest to 10.0.2.100 port 80, which SLIRP's
// guestfwd sends to the test's HTTP server on the host loopback) it
// lists the interface, pings the SLIRP gateway, resolves a literal and a
// malformed name, is refused a destination outside its scope, fetches a
// page over HTTP/1.1 and checks the body, echoes one UDP datagram from
// the host on its UdpSocket ("udp", port 5000, scope 10.0.2.2), then
// prints the counters.
#include "lib/core/cstring.h"
#include "lib/net/ip6.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/tests/net_lease.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

struct Call {
  alignas(8) uint8_t pbuf[1024];
  alignas(8) uint8_t rbuf[wire::MAX_TCP_READ_BYTES + 512];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};
Call g_c;
Call& fresh() {
  g_c.~Call();
  new (&g_c) Call();
  return g_c;
}

void ip(const char* label, uint32_t a) {
  rt::printf("{}{}.{}.{}.{}", label, a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

constexpr char EXPECTED_BODY[] = "capOS fetched this page from the host.\n";

int fail_with(const char* what, Err e) {
  rt::printf("nettest: FAILED: {}: {} ({})\n", what, err_name(e), rt::call_exception());
  return 1;
}

// Length of the whole response once its headers (with Content-Length) are in; 0 before.
size_t complete_length(const char* p, size_t n) {
  for (size_t i = 0; i + 3 < n; ++i) {
    if (memcmp(p + i, "\r\n\r\n", 4) != 0) continue;
    static const char key[] = "\r\nContent-Length: ";
    for (size_t j = 0; j + sizeof(key) - 1 < i; ++j) {
      if (memcmp(p + j, key, sizeof(key) - 1) != 0) continue;
      size_t v = 0;
      for (size_t k = j + sizeof(key) - 1; k < i && p[k] >= '0' && p[k] <= '9'; ++k) v = v * 10 + size_t(p[k] - '0');
      return i + 4 + v;
    }
    return 0;
  }
  return 0;
}

int fetch(rt::Cap<wire::TcpConnector> connector) {
  // Outside the scope: refused before anything is sent.
  {
    Call& c = fresh();
    auto p = wire::TcpConnector::Client::connectParams(c.params);
    auto r = p ? p->initRemote() : fail(Err::Failed);
    if (!r) return fail_with("connect params", Err::Failed);
    r->setAddress(0x0A000202);
    r->setPort(22);
    p->setTimeoutMs(2000);
    auto res = wire::TcpConnector::Client(&rt::transport(), connector).connect(c.params, c.resp);
    if (!res) return fail_with("connect out of scope", res.error());
    rt::printf("nettest: connect 10.0.2.2:22: {}\n", res->isOutOfScope() ? "out of scope" : "NOT refused");
  }
  Call& c = fresh();
  auto p = wire::TcpConnector::Client::connectParams(c.params);
  auto r = p ? p->initRemote() : fail(Err::Failed);
  if (!r) return fail_with("connect params", Err::Failed);
  r->setAddress(0x0A000264);  // 10.0.2.100
  r->setPort(80);
  p->setTimeoutMs(10000);
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  Status st = rt::call_with_caps(connector, 0, c.params, c.resp, Span<const abi::CapTransferDesc>(),
                                 Span<abi::CapTransferRecord>(rec, 1), &n);
  if (!st) return fail_with("connect", st.error());
  auto sr = c.resp.root();
  if (!sr) return fail_with("connect reply", sr.error());
  wire::TcpConnector::ConnectResult::Reader root(*sr);
  if (!root.isConnected() || n != 1) {
    rt::printf("nettest: FAILED: connect 10.0.2.100:80: {}\n",
               root.isRefused() ? "refused" : root.isTimedOut() ? "timed out" : "no socket");
    return 1;
  }
  auto sock = rt::record_cap<wire::TcpSocket>(rec[0]);
  if (!sock) return fail_with("socket cap", sock.error());
  wire::TcpSocket::Client s(&rt::transport(), *sock);
  static const char req[] = "GET /capos HTTP/1.1\r\nHost: 10.0.2.100\r\nConnection: close\r\n\r\n";
  {
    Call& w = fresh();
    auto wp = wire::TcpSocket::Client::writeParams(w.params);
    if (!wp || !wp->setData(Bytes(reinterpret_cast<const uint8_t*>(req), sizeof(req) - 1)))
      return fail_with("write params", Err::Failed);
    auto wr = s.write(w.params, w.resp);
    if (!wr || wr->getAccepted() != sizeof(req) - 1) return fail_with("write request", wr ? Err::Truncated : wr.error());
  }
  static char page[8192];
  size_t have = 0;
  for (;;) {
    Call& rd = fresh();
    auto rp = wire::TcpSocket::Client::readParams(rd.params);
    if (!rp) return fail_with("read params", Err::Failed);
    rp->setMaxBytes(wire::MAX_TCP_READ_BYTES);
    auto rr = s.read(rd.params, rd.resp);
    if (!rr) return fail_with("read", rr.error());
    if (rr->getEof()) break;
    auto data = rr->getData();
    if (!data || have + data->size() > sizeof(page)) return fail_with("response too large", Err::OutOfRange);
    memcpy(page + have, data->data(), data->size());
    have += data->size();
    // HTTP/1.1: the body ends after Content-Length bytes (the server may keep the connection).
    if (size_t need = complete_length(page, have); need && have >= need) break;
  }
  rt::release_cap(*sock);
  size_t line = 0;
  while (line < have && page[line] != '\r') ++line;
  rt::printf("nettest: fetched {} bytes: {}\n", have, StrView(page, line));
  size_t body = 0;
  for (size_t i = 0; i + 3 < have; ++i)
    if (memcmp(page + i, "\r\n\r\n", 4) == 0) { body = i + 4; break; }
  bool ok = body && have - body == sizeof(EXPECTED_BODY) - 1 && memcmp(page + body, EXPECTED_BODY, have - body) == 0;
  rt::printf("nettest: body {}\n", ok ? "matches" : "DIFFERS");
  return ok ? 0 : 1;
}

// Waits for one datagram on the UdpSocket and sends it back to its sender.
int udp_echo(rt::Cap<wire::UdpSocket> udp) {
  wire::UdpSocket::Client u(&rt::transport(), udp);
  Call& c = fresh();
  auto p = wire::UdpSocket::Client::receiveParams(c.params);
  p->setMaxBytes(wire::MAX_UDP_PAYLOAD_BYTES);
  auto r = u.receive(c.params, c.resp);
  if (!r) return fail_with("udp receive", r.error());
  auto remote = r->getRemote();
  auto data = r->getData();
  if (!remote || !data) return fail_with("udp datagram", Err::Corrupt);
  static uint8_t copy[1500];
  size_t n = data->size();
  memcpy(copy, data->data(), n);
  uint32_t from = remote->getAddress();
  uint16_t port = remote->getPort();
  Call& s = fresh();
  auto sp = wire::UdpSocket::Client::sendParams(s.params);
  auto to = sp ? sp->initRemote() : fail(Err::Failed);
  if (!to || !sp->setData(Bytes(copy, n))) return fail_with("udp send params", Err::Failed);
  to->setAddress(from);
  to->setPort(port);
  auto sr = u.send(s.params, s.resp);
  if (!sr) return fail_with("udp send", sr.error());
  // Outside the scope: refused, nothing sent.
  Call& b = fresh();
  auto bp = wire::UdpSocket::Client::sendParams(b.params);
  auto bt = bp ? bp->initRemote() : fail(Err::Failed);
  if (!bt || !bp->setData(Bytes(copy, 1))) return fail_with("udp send params", Err::Failed);
  bt->setAddress(0x08080808);
  bt->setPort(53);
  auto br = u.send(b.params, b.resp);
  rt::printf("nettest: udp echo of {} bytes to ", n);
  ip("", from);
  rt::printf("; send to 8.8.8.8:53: {}\n", br ? "sent?!" : err_name(br.error()));
  return 0;
}

}  // namespace

// The interface's IPv6 addresses once SLAAC has one (SLIRP answers the
// Router Solicitation at once; a few seconds at most).
Status print_ipv6(wire::NetworkManager::Client& m, rt::Cap<wire::Timer> timer) {
  for (int tries = 0; tries < 50; ++tries) {
    Call& c = fresh();
    CAPOS_TRY(wire::NetworkManager::Client::interfacesParams(c.params));
    auto list = CAPOS_TRY(CAPOS_TRY(m.interfaces(c.params, c.resp)).getInterfaces());
    if (list.size() != 1) return fail(Err::Corrupt);
    auto e = list[0];
    auto ll = CAPOS_TRY(e.getIpv6LinkLocal());
    auto global = CAPOS_TRY(e.getIpv6Global());
    auto router = CAPOS_TRY(e.getIpv6Router());
    if (ll.size() != 16) return fail(Err::Corrupt);
    if (global.size() == 16 && router.size() == 16) {
      char a[net::IP6_TEXT_MAX], b[net::IP6_TEXT_MAX], r[net::IP6_TEXT_MAX];
      net::Ip6 x;
      memcpy(x.b, ll.data(), 16);
      net::format_ip6(x, a);
      memcpy(x.b, global.data(), 16);
      net::format_ip6(x, b);
      memcpy(x.b, router.data(), 16);
      net::format_ip6(x, r);
      rt::printf("nettest: eth0 ipv6 {} {}/64 router {}\n", StrView(a), StrView(b), StrView(r));
      return {};
    }
    if (global.size() != 0) return fail(Err::Corrupt);
    CAPOS_TRY_STATUS(net_test::sleep_ms(timer, 100));
  }
  return fail(Err::TimedOut);
}

int main() {
  auto mgr = rt::capset_find<wire::NetworkManager>("netmgr");
  auto dns = rt::capset_find<wire::Resolver>("dns");
  auto connector = rt::capset_find<wire::TcpConnector>("fetch");
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!mgr || !dns || !connector || !timer) {
    rt::print("nettest: needs netmgr, dns, fetch and timer\n");
    return 2;
  }
  wire::NetworkManager::Client m(&rt::transport(), *mgr);
  // Wait for the lease (netd answers interfaces at once; the address comes with DHCP).
  if (auto l = net_test::wait_lease(*mgr, *timer); !l) return fail_with("DHCP lease", l.error());
  {
    Call& c = fresh();
    (void)wire::NetworkManager::Client::interfacesParams(c.params);
    auto r = m.interfaces(c.params, c.resp);
    auto list = r ? r->getInterfaces() : fail(r.error());
    if (!list || list->size() != 1) return fail_with("interfaces list", Err::Corrupt);
    auto e = (*list)[0];
    auto name = e.getName();
    rt::printf("nettest: {} ", name ? *name : StrView("?"));
    ip("", e.getAddress());
    rt::printf("/{}", e.getPrefixLength());
    ip(" gateway ", e.getGateway());
    ip(" dns ", e.getDnsServer());
    rt::printf(" mtu {}\n", e.getMtu());
  }
  if (Status st = print_ipv6(m, *timer); !st) return fail_with("IPv6 addresses", st.error());
  {
    Call& c = fresh();
    auto p = wire::NetworkManager::Client::pingParams(c.params);
    p->setAddress(0x0A000202);
    p->setSequence(1);
    p->setTimeoutMs(3000);
    auto r = m.ping(c.params, c.resp);
    if (!r) return fail_with("ping", r.error());
    rt::printf("nettest: ping 10.0.2.2: {}\n", r->isReply() ? "reply" : r->isTimedOut() ? "timed out" : "unreachable");
  }
  {
    // SLIRP's host answers echo at fec0::2 (its address in the prefix it advertises).
    Call& c = fresh();
    auto p = wire::NetworkManager::Client::ping6Params(c.params);
    const uint8_t host[16] = {0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    if (!p || !p->setAddress(Bytes(host, 16))) return fail_with("ping6 params", Err::Failed);
    p->setSequence(1);
    p->setTimeoutMs(3000);
    auto r = m.ping6(c.params, c.resp);
    if (!r) return fail_with("ping6", r.error());
    rt::printf("nettest: ping fec0::2: {}\n", r->isReply() ? "reply" : r->isTimedOut() ? "timed out" : "unreachable");
  }
  wire::Resolver::Client res(&rt::transport(), *dns);
  {
    Call& c = fresh();
    auto p = wire::Resolver::Client::resolveParams(c.params);
    if (!p || !p->setName("10.0.2.2")) return fail_with("resolve params", Err::Failed);
    auto r = res.resolve(c.params, c.resp);
    if (!r) return fail_with("resolve literal", r.error());
    auto addrs = r->isFound() ? r->getFound().getAddresses() : fail(Err::NotFound);
    rt::printf("nettest: resolve 10.0.2.2: {}\n", addrs && addrs->size() == 1 && (*addrs)[0] == 0x0A000202 ? "10.0.2.2" : "WRONG");
  }
  {
    Call& c = fresh();
    auto p = wire::Resolver::Client::resolveParams(c.params);
    if (!p || !p->setName("bad..name")) return fail_with("resolve params", Err::Failed);
    auto r = res.resolve(c.params, c.resp);
    rt::printf("nettest: resolve bad..name: {} ({})\n", r ? "accepted?!" : err_name(r.error()), rt::call_exception());
  }
  int rc = fetch(*connector);
  if (auto udp = rt::capset_find<wire::UdpSocket>("udp"); udp && rc == 0) rc = udp_echo(*udp);
  {
    Call& c = fresh();
    (void)wire::NetworkManager::Client::statsParams(c.params);
    auto r = m.stats(c.params, c.resp);
    auto st = r ? r->getStats() : fail(Err::Failed);
    if (!st) return fail_with("stats", Err::Failed);
    rt::printf("nettest: stats: {} frames in, {} out, {} malformed\n", st->getFramesIn(), st->getFramesOut(),
               st->getMalformed());
  }
  rt::printf("nettest: done ({})\n", rc == 0 ? "ok" : "FAILED");
  return rc;
}
