// libFuzzer target for lib/net. The first input byte picks a parser
// (0-7), the grant-name parser (8) or the whole stack (9+); the rest is
// the packet. Parsers must
// refuse or return views inside the input; the stack must survive any
// frame sequence with its tables within bounds. For TCP, UDP, ICMP,
// IPv4 and stack frames the harness writes correct checksums first, so
// mutations reach the logic behind them.
#include <cstdlib>
#include <cstring>
#include <memory>

#include "lib/net/dhcp.h"
#include "lib/net/dns.h"
#include "lib/net/frame_ring.h"
#include "lib/net/grant_names.h"
#include "lib/net/ip6.h"
#include "user/tls/der_list.h"
#include "lib/net/ip.h"
#include "lib/net/link.h"
#include "lib/net/stack.h"
#include "lib/net/stream_ring.h"
#include "lib/net/tcp_wire.h"

using namespace capos;
using namespace capos::net;

namespace {

constexpr Ip4 SRC = 0x0A000202, DST = 0x0A00020F;
constexpr Mac OUR_MAC = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}};

bool inside(Bytes outer, Bytes inner) {
  return inner.size() == 0 || (inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size());
}

void fix_l4(uint8_t* p, size_t n, uint8_t proto, Ip4 src, Ip4 dst) {
  if (proto == IPPROTO_TCP && n >= TCP_HEADER) {
    put16(p + 16, 0);
    put16(p + 16, csum_fold(csum_add(csum_pseudo(src, dst, IPPROTO_TCP, uint16_t(n)), Bytes(p, n))));
  } else if (proto == IPPROTO_UDP && n >= UDP_HEADER) {
    put16(p + 4, uint16_t(n));
    put16(p + 6, 0);
    put16(p + 6, csum_fold(csum_add(csum_pseudo(src, dst, IPPROTO_UDP, uint16_t(n)), Bytes(p, n))));
  } else if (proto == IPPROTO_ICMP && n >= ICMP_HEADER) {
    put16(p + 2, 0);
    put16(p + 2, csum_fold(csum_add(0, Bytes(p, n))));
  }
}

// Makes the frame's IPv4 header and transport checksums right (if it looks like IPv4).
void fix_frame(uint8_t* f, size_t n) {
  if (n < ETH_HEADER + IPV4_HEADER || get16(f + 12) != ETHERTYPE_IPV4) return;
  uint8_t* ip = f + ETH_HEADER;
  size_t room = n - ETH_HEADER;
  ip[0] = 0x45;
  put16(ip + 2, uint16_t(room));
  put16(ip + 6, 0);
  put16(ip + 10, 0);
  put16(ip + 10, csum_fold(csum_add(0, Bytes(ip, IPV4_HEADER))));
  fix_l4(ip + IPV4_HEADER, room - IPV4_HEADER, ip[9], get32(ip + 12), get32(ip + 16));
}

struct World {
  Stack stack{OUR_MAC, TcpTuning{}, 42};
  NetHandle listener{}, udp{};
  World() {
    stack.configure(DST, 24, SRC, SRC);
    listener = stack.tcp_listen(80, 4).value();
    udp = stack.udp_bind(53000).value();
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint8_t mode = data[0];
  static uint8_t buf[4096];
  size_t n = size - 1 < sizeof(buf) ? size - 1 : sizeof(buf);
  memcpy(buf, data + 1, n);
  Bytes in(buf, n);
  switch (mode) {
    case 0: {
      auto e = parse_ethernet(in);
      if (e.ok() && !inside(in, e->payload)) abort();
      break;
    }
    case 1: (void)parse_arp(in).ok(); break;
    case 2: {
      if (n >= IPV4_HEADER) {
        put16(buf + 10, 0);
        size_t ihl = size_t(buf[0] & 0xF) * 4;
        if (ihl >= IPV4_HEADER && ihl <= n) put16(buf + 10, csum_fold(csum_add(0, Bytes(buf, ihl))));
      }
      auto p = parse_ipv4(in);
      if (p.ok() && (!inside(in, p->payload) || !inside(in, p->header) || p->header.size() < IPV4_HEADER)) abort();
      break;
    }
    case 3: {
      fix_l4(buf, n, IPPROTO_ICMP, SRC, DST);
      auto m = parse_icmp(in);
      if (n >= ICMP_HEADER && !m.ok()) abort();  // checksum was made right
      if (m.ok() && !inside(in, m->body)) abort();
      break;
    }
    case 4: {
      fix_l4(buf, n, IPPROTO_UDP, SRC, DST);
      auto d = parse_udp(in, SRC, DST);
      if (d.ok() && !inside(in, d->payload)) abort();
      break;
    }
    case 5: {
      if (n > 0xFFFF) break;
      fix_l4(buf, n, IPPROTO_TCP, SRC, DST);
      auto s = parse_tcp(in, SRC, DST);
      if (s.ok() && (!inside(in, s->payload) || s->h.wscale > TCP_MAX_WSCALE)) abort();
      break;
    }
    case 6: {
      auto m = parse_dhcp(in);
      if (m.ok() && m->prefix > 32) abort();
      break;
    }
    case 7: {
      auto a = parse_dns_response(in);
      if (a.ok() && a->count > DNS_MAX_ADDRESSES) abort();
      break;
    }
    case 8: {
      for (GrantKind k : {GrantKind::Listen, GrantKind::Connect, GrantKind::Udp}) {
        auto g = parse_grant_name(k, reinterpret_cast<const char*>(buf), n);
        if (g.ok() && (g->last < g->first || g->first == 0 || g->prefix > 32)) abort();
      }
      break;
    }
    case 9: {
      // tlsd's certificate-list splitter: pieces tile the input in order.
      size_t covered = 0;
      auto st = capos::tls::der_for_each(in, [&](Bytes cert) -> Status {
        if (cert.data() != in.data() + covered || cert.size() < 2 || cert[0] != 0x30) abort();
        covered += cert.size();
        return {};
      });
      if (st.ok() && covered != n) abort();
      break;
    }
    case 10: {
      // IPv6 + ICMPv6 (checksum made right), then the same frame through a stack.
      if (n >= IPV6_HEADER + ICMPV6_HEADER) {
        size_t len = get16(buf + 4);
        if (len <= n - IPV6_HEADER && len >= ICMPV6_HEADER) {
          Ip6 src, dst;
          memcpy(src.b, buf + 8, 16);
          memcpy(dst.b, buf + 24, 16);
          finish_icmp6(MutBytes(buf + IPV6_HEADER, len), src, dst);
        }
      }
      auto p = parse_ipv6(in);
      if (p.ok()) {
        if (!inside(in, p->payload)) abort();
        auto m = parse_icmp6(p->payload, p->src, p->dst);
        if (m.ok() && !inside(p->payload, m->rest)) abort();
        if (m.ok()) {
          auto ra = parse_router_advert(m->rest);
          if (ra.ok() && ra->have_prefix && (ra->valid_s == 0 || ra->prefix.is_multicast())) abort();
        }
      }
      static uint8_t frame[ETH_HEADER + 4096];
      static std::unique_ptr<Stack> s;
      s = std::make_unique<Stack>(OUR_MAC, TcpTuning{}, 42);
      write_ethernet(MutBytes(frame, ETH_HEADER), OUR_MAC, Mac{{2, 0, 0, 0, 0, 2}}, ETHERTYPE_IPV6);
      memcpy(frame + ETH_HEADER, buf, n);
      s->start_ipv6(1);
      s->receive_frame(Bytes(frame, ETH_HEADER + n), 1);
      s->tick(100000000);  // SLAAC timers and expiry
      uint8_t out[ETH_MAX_FRAME];
      while (s->pop_frame(MutBytes(out, sizeof(out))).ok()) {}
      break;
    }
    case 11: {
      // The shared rings as a hostile peer left them (vnetd <-> netd): the
      // input overwrites the indices and the start of the slots; the
      // consumer must refuse or copy out at most a frame per pop, and
      // stop (NotFound or Corrupt without progress) within bounds.
      static std::unique_ptr<NicRings> r;
      r = std::make_unique<NicRings>();
      init_rings(*r);
      auto c = RingConsumer::rx(*r);
      memcpy(&r->rx_head, buf, n < 8 ? n : 8);
      if (n > 8) memcpy(&r->rx_tail, buf + 8, n - 8 < 4 ? n - 8 : 4);
      if (n > 12) memcpy(r->rx, buf + 12, n - 12 < sizeof(r->rx) ? n - 12 : sizeof(r->rx));
      c = RingConsumer::rx(*r);
      uint8_t out[ETH_MAX_FRAME];
      for (uint32_t i = 0; i <= RING_SLOTS + 1; ++i) {
        auto got = c.pop(MutBytes(out, sizeof(out)));
        if (got.ok() && (*got == 0 || *got > ETH_MAX_FRAME)) abort();
        if (!got.ok() && got.error() == Err::NotFound) break;
      }
      auto p = RingProducer::rx(*r);
      (void)p.push(Bytes(buf, n < ETH_MAX_FRAME ? n : ETH_MAX_FRAME));
      break;
    }
    case 12: {
      // A TcpSocket's byte rings as a hostile peer left them (netd <->
      // client): the input overwrites the indices and the start of the
      // data; each end must refuse an impossible index (Corrupt, nothing
      // moved) or move at most what the ring holds, and stop within bounds.
      static std::unique_ptr<StreamRings> r;
      r = std::make_unique<StreamRings>();
      init_stream_rings(*r);
      memcpy(&r->rx_head, buf, n < 4 ? n : 4);
      if (n > 4) memcpy(&r->rx_tail, buf + 4, n - 4 < 4 ? n - 4 : 4);
      if (n > 8) memcpy(&r->tx_head, buf + 8, n - 8 < 4 ? n - 8 : 4);
      if (n > 12) memcpy(r->rx, buf + 12, n - 12);
      auto c = StreamConsumer::rx(*r);
      static uint8_t out[STREAM_RING_BYTES];
      size_t total = 0;
      for (int i = 0; i < 4; ++i) {
        auto got = c.pop(MutBytes(out, 1000 + i * 20000));
        if (got.ok()) total += *got;
        if (got.ok() && *got > 1000u + i * 20000u) abort();
        if (!got.ok() && got.error() != Err::Corrupt) abort();
      }
      if (total > STREAM_RING_BYTES) abort();
      auto p = StreamProducer::tx(*r);
      uint32_t tail0 = r->tx_tail.value;
      auto took = p.push(Bytes(buf, n));
      if (took.ok() && (*took > n || r->tx_tail.value - tail0 != *took)) abort();
      if (!took.ok() && r->tx_tail.value != tail0) abort();
      break;
    }
    default: {
      // A sequence of frames separated by 2-byte lengths, through one stack.
      static std::unique_ptr<World> w;
      w = std::make_unique<World>();
      auto c = w->stack.tcp_connect(SRC, 8080, 1);
      if (!c.ok()) abort();
      uint64_t now = 1;
      size_t off = 0;
      uint8_t frame[ETH_MAX_FRAME];
      while (off + 2 <= n) {
        size_t len = get16(buf + off) % (ETH_MAX_FRAME + 1);
        off += 2;
        if (len > n - off) len = n - off;
        memcpy(frame, buf + off, len);
        off += len;
        if (len >= 6) memcpy(frame, OUR_MAC.b, 6);
        fix_frame(frame, len);
        now += 37;
        w->stack.receive_frame(Bytes(frame, len), now);
        w->stack.tick(now);
        while (w->stack.pop_frame(MutBytes(frame, sizeof(frame))).ok()) {}
        auto l = w->stack.tcp_accept(w->listener);
        if (l.ok()) {
          uint8_t tmp[256];
          (void)(*w->stack.tcp(*l))->read(MutBytes(tmp, sizeof(tmp)));
          (void)(*w->stack.tcp(*l))->write(Bytes(tmp, 16));
          w->stack.tcp_release(*l);
        }
        if (w->stack.tcp_open_count() > MAX_TCP) abort();
      }
      w->stack.tick(now + 100000);
      break;
    }
  }
  return 0;
}
