#include "user/shell/net_cmds.h"

#include "lib/core/format.h"
#include "lib/net/dns.h"
#include "lib/net/ip6.h"
#include "schema/net.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/transport.h"
#include "user/shell/names.h"

namespace capos::shell {

namespace wire = schema::wire;

namespace {

constexpr size_t FETCH_SHOWN = 4096;  // body bytes printed by fetch

NetOut g_out;

template <class... A> void say(StrView fmt, const A&... args) {
  char buf[600];
  g_out(format_to(buf, sizeof(buf), fmt, args...));
}

StrView ip_text(uint32_t a, char (&buf)[16]) {
  return format_to(buf, sizeof(buf), "{}.{}.{}.{}", a >> 24, (a >> 16) & 0xFF, (a >> 8) & 0xFF, a & 0xFF);
}

// From the shell's namespace: its CapSet or the session bundle (the
// default system grants the network caps to operator sessions).
template <class Iface> Result<rt::Cap<Iface>> need(StrView cmd, StrView name) {
  auto c = names::find(name, Iface::kInterfaceId);
  if (!c) {
    say("{}: no `{}` capability granted to this shell\n", cmd, name);
    return fail(c.error());
  }
  return rt::Cap<Iface>::unchecked(*c);
}

void report(StrView cmd, StrView what, Err e) {
  StrView ex = rt::transport().last_exception();
  say("{}: {}: {}{}{}\n", cmd, what, err_name(e), ex.empty() ? "" : ": ", ex);
}

struct Call {
  alignas(8) uint8_t pbuf[1024];
  alignas(8) uint8_t rbuf[wire::MAX_TCP_READ_BYTES + 512];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};
Call g_call;
Call& fresh() {
  g_call.~Call();
  new (&g_call) Call();
  return g_call;
}

// A literal or a name looked up through "dns".
Result<uint32_t> lookup(StrView cmd, StrView host) {
  if (auto lit = net::parse_ip4_literal(host.ptr, host.len); lit.ok()) return *lit;
  auto dns = CAPOS_TRY(need<wire::Resolver>(cmd, "dns"));
  Call& c = fresh();
  auto p = wire::Resolver::Client::resolveParams(c.params);
  if (!p || !p->setName(host)) return fail(Err::InvalidArgument);
  auto r = wire::Resolver::Client(&rt::transport(), dns).resolve(c.params, c.resp);
  if (!r) {
    report(cmd, host, r.error());
    return fail(r.error());
  }
  if (r->isNotFound()) return say("{}: {}: no such name\n", cmd, host), fail(Err::NotFound);
  if (r->isTimedOut()) return say("{}: {}: no answer from the DNS server\n", cmd, host), fail(Err::TimedOut);
  auto list = r->getFound().getAddresses();
  if (!list || list->size() == 0) return fail(Err::Corrupt);
  return (*list)[0];
}

bool parse_uint(StrView s, uint32_t max, uint32_t* v) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t x = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.ptr[i] < '0' || s.ptr[i] > '9') return false;
    x = x * 10 + uint64_t(s.ptr[i] - '0');
  }
  if (x > max) return false;
  *v = uint32_t(x);
  return true;
}

// A 16-byte address from NetworkManager as RFC 5952 text.
const char* ip6_text(Bytes b, char (&out)[net::IP6_TEXT_MAX]) {
  net::Ip6 a;
  memcpy(a.b, b.data(), 16);
  net::format_ip6(a, out);
  return out;
}

}  // namespace

void cmd_ifconfig(NetOut out, const StrView* argv, uint32_t) {
  g_out = out;
  auto mgr = need<wire::NetworkManager>(argv[0], "netmgr");
  if (!mgr) return;
  wire::NetworkManager::Client m(&rt::transport(), *mgr);
  Call& c = fresh();
  (void)wire::NetworkManager::Client::interfacesParams(c.params);
  auto r = m.interfaces(c.params, c.resp);
  if (!r) return report(argv[0], "interfaces", r.error());
  auto list = r->getInterfaces();
  if (!list) return report(argv[0], "interfaces", list.error());
  for (uint32_t i = 0; i < list->size(); ++i) {
    auto e = (*list)[i];
    auto name = e.getName();
    auto mac = e.getMac();
    char a[16], g[16], d[16];
    say("{}: {} mtu {}\n", name ? *name : StrView("?"), e.getLinkUp() ? "up" : "down", e.getMtu());
    if (mac && mac->size() == 6) {
      const uint8_t* b = mac->data();
      say("  ether {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}\n", b[0], b[1], b[2], b[3], b[4], b[5]);
    }
    say("  inet {}/{} gateway {} dns {}\n", ip_text(e.getAddress(), a), e.getPrefixLength(),
        ip_text(e.getGateway(), g), ip_text(e.getDnsServer(), d));
    if (e.getLeaseSecondsLeft()) say("  lease {} s left\n", e.getLeaseSecondsLeft());
    auto ll = e.getIpv6LinkLocal();
    auto global = e.getIpv6Global();
    auto router = e.getIpv6Router();
    char t[net::IP6_TEXT_MAX];
    if (ll && ll->size() == 16) say("  inet6 {}/64 link\n", ip6_text(*ll, t));
    if (global && router && global->size() == 16 && router->size() == 16) {
      say("  inet6 {}/64", ip6_text(*global, t));
      say(" router {}\n", ip6_text(*router, t));
    }
  }
  Call& s = fresh();
  (void)wire::NetworkManager::Client::statsParams(s.params);
  auto st = m.stats(s.params, s.resp);
  auto v = st ? st->getStats() : fail(st.error());
  if (!v) return report(argv[0], "stats", v.error());
  say("  frames in {} ({} bytes) out {} ({} bytes), malformed {}, retransmits {}, tcp open {}\n", v->getFramesIn(),
      v->getBytesIn(), v->getFramesOut(), v->getBytesOut(), v->getMalformed(), v->getRetransmits(), v->getTcpOpen());
}

void cmd_ping(NetOut out, const StrView* argv, uint32_t argc) {
  g_out = out;
  uint32_t count = 3;
  if (argc > 2 && !parse_uint(argv[2], 100, &count)) return say("ping: count must be 1 to 100\n");
  auto mgr = need<wire::NetworkManager>(argv[0], "netmgr");
  if (!mgr) return;
  auto addr = lookup(argv[0], argv[1]);
  if (!addr) return;
  char a[16];
  wire::NetworkManager::Client m(&rt::transport(), *mgr);
  uint32_t got = 0;
  for (uint32_t i = 1; i <= count; ++i) {
    Call& c = fresh();
    auto p = wire::NetworkManager::Client::pingParams(c.params);
    p->setAddress(*addr);
    p->setSequence(uint16_t(i));
    p->setTimeoutMs(2000);
    auto r = m.ping(c.params, c.resp);
    if (!r) return report(argv[0], "ping", r.error());
    if (r->isReply()) {
      ++got;
      auto rep = r->getReply();
      say("reply from {}: seq={} ttl={} time={} ms\n", ip_text(*addr, a), i, rep.getTtl(), rep.getRoundTripUs() / 1000);
    } else {
      say("{} from {}: seq={}\n", r->isTimedOut() ? "no reply" : "unreachable", ip_text(*addr, a), i);
    }
  }
  say("{} sent, {} received\n", count, got);
}

void cmd_resolve(NetOut out, const StrView* argv, uint32_t) {
  g_out = out;
  auto addr = lookup(argv[0], argv[1]);
  if (!addr) return;
  char a[16];
  say("{}: {}\n", argv[1], ip_text(*addr, a));
}

// fetch http://host[:port]/path: HTTP/1.1 GET through "connect".
void cmd_fetch(NetOut out, const StrView* argv, uint32_t) {
  g_out = out;
  StrView url = argv[1];
  static const char scheme[] = "http://";
  if (url.len <= 7 || memcmp(url.ptr, scheme, 7) != 0) return say("fetch: only http://host[:port]/path URLs\n");
  StrView rest = url.substr(7);
  size_t slash = 0;
  while (slash < rest.len && rest.ptr[slash] != '/') ++slash;
  StrView hostport = rest.substr(0, slash);
  StrView path = slash < rest.len ? rest.substr(slash) : StrView("/");
  size_t colon = 0;
  while (colon < hostport.len && hostport.ptr[colon] != ':') ++colon;
  StrView host = hostport.substr(0, colon);
  uint32_t port = 80;
  if (colon < hostport.len && !parse_uint(hostport.substr(colon + 1), 65535, &port)) return say("fetch: bad port\n");
  if (host.empty() || port == 0 || path.len > 512) return say("fetch: bad URL\n");
  auto conn = need<wire::TcpConnector>(argv[0], "connect");
  if (!conn) return;
  auto addr = lookup(argv[0], host);
  if (!addr) return;

  Call& c = fresh();
  auto p = wire::TcpConnector::Client::connectParams(c.params);
  auto remote = p ? p->initRemote() : fail(Err::Failed);
  if (!remote) return say("fetch: cannot build the request\n");
  remote->setAddress(*addr);
  remote->setPort(uint16_t(port));
  p->setTimeoutMs(10000);
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  Status st = rt::call_with_caps(*conn, 0, c.params, c.resp, Span<const abi::CapTransferDesc>(),
                                 Span<abi::CapTransferRecord>(rec, 1), &n);
  if (!st) return report(argv[0], "connect", st.error());
  auto root = c.resp.root();
  if (!root) return report(argv[0], "connect", root.error());
  wire::TcpConnector::ConnectResult::Reader res(*root);
  if (res.isOutOfScope()) return say("fetch: {}:{} is outside this shell's `connect` scope\n", host, port);
  if (res.isRefused()) return say("fetch: {}:{}: connection refused\n", host, port);
  if (!res.isConnected() || n != 1) return say("fetch: {}:{}: no answer\n", host, port);
  auto sock = rt::record_cap<wire::TcpSocket>(rec[0]);
  if (!sock) return report(argv[0], "socket", sock.error());
  wire::TcpSocket::Client s(&rt::transport(), *sock);

  char req[700];
  StrView r = format_to(req, sizeof(req), "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: capOS-fetch\r\nConnection: close\r\n\r\n",
                        path, host);
  Call& w = fresh();
  auto wp = wire::TcpSocket::Client::writeParams(w.params);
  if (!wp || !wp->setData(Bytes(reinterpret_cast<const uint8_t*>(r.ptr), r.len))) return say("fetch: request too long\n");
  auto wr = s.write(w.params, w.resp);
  if (!wr) return report(argv[0], "write", wr.error());

  // Read to the end of the stream, or Content-Length bytes past the headers.
  static char head[2048];
  size_t head_len = 0, body_seen = 0, content_length = ~size_t{0};
  bool in_body = false;
  for (;;) {
    Call& rd = fresh();
    auto rp = wire::TcpSocket::Client::readParams(rd.params);
    rp->setMaxBytes(wire::MAX_TCP_READ_BYTES);
    auto rr = s.read(rd.params, rd.resp);
    if (!rr) {
      report(argv[0], "read", rr.error());
      break;
    }
    if (rr->getEof()) break;
    auto data = rr->getData();
    if (!data) break;
    const char* d = reinterpret_cast<const char*>(data->data());
    size_t len = data->size(), i = 0;
    while (!in_body && i < len) {
      if (head_len < sizeof(head)) head[head_len++] = d[i];
      ++i;
      if (head_len >= 4 && memcmp(head + head_len - 4, "\r\n\r\n", 4) == 0) {
        in_body = true;
        size_t line = 0;
        while (line < head_len && head[line] != '\r') ++line;
        say("{}\n", StrView(head, line));
        static const char key[] = "\r\nContent-Length: ";
        for (size_t j = 0; j + sizeof(key) - 1 < head_len; ++j) {
          if (memcmp(head + j, key, sizeof(key) - 1) != 0) continue;
          size_t v = 0;
          for (size_t k = j + sizeof(key) - 1; k < head_len && head[k] >= '0' && head[k] <= '9'; ++k)
            v = v * 10 + size_t(head[k] - '0');
          content_length = v;
        }
      }
    }
    if (in_body && i < len) {
      size_t show = body_seen < FETCH_SHOWN ? min(len - i, FETCH_SHOWN - body_seen) : 0;
      if (show) g_out(StrView(d + i, show));
      body_seen += len - i;
    }
    if (in_body && body_seen >= content_length) break;
  }
  rt::release_cap(*sock);
  say("\n-- {} body bytes{}\n", body_seen, body_seen > FETCH_SHOWN ? " (first 4096 shown)" : "");
}

}  // namespace capos::shell
