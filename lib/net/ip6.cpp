#include "lib/net/ip6.h"

#include "lib/core/cstring.h"

namespace capos::net {

Ip6 link_local_from_mac(const Mac& mac) {
  Ip6 a;
  a.b[0] = 0xFE;
  a.b[1] = 0x80;
  a.b[8] = mac.b[0] ^ 0x02;  // universal/local bit flipped
  a.b[9] = mac.b[1];
  a.b[10] = mac.b[2];
  a.b[11] = 0xFF;
  a.b[12] = 0xFE;
  a.b[13] = mac.b[3];
  a.b[14] = mac.b[4];
  a.b[15] = mac.b[5];
  return a;
}

Ip6 solicited_node(const Ip6& a) {
  Ip6 g;
  g.b[0] = 0xFF;
  g.b[1] = 0x02;
  g.b[11] = 0x01;
  g.b[12] = 0xFF;
  g.b[13] = a.b[13];
  g.b[14] = a.b[14];
  g.b[15] = a.b[15];
  return g;
}

Mac multicast_mac(const Ip6& group) {
  return Mac{{0x33, 0x33, group.b[12], group.b[13], group.b[14], group.b[15]}};
}

Result<Ipv6Packet> parse_ipv6(Bytes packet) {
  if (packet.size() < IPV6_HEADER) return fail(Err::Truncated);
  const uint8_t* p = packet.data();
  if ((p[0] >> 4) != 6) return fail(Err::Corrupt);
  size_t len = get16(p + 4);
  if (len > packet.size() - IPV6_HEADER) return fail(Err::Truncated);
  Ipv6Packet r;
  memcpy(r.src.b, p + 8, 16);
  memcpy(r.dst.b, p + 24, 16);
  r.next_header = p[6];
  r.hop_limit = p[7];
  r.payload = Bytes(p + IPV6_HEADER, len);
  return r;
}

void write_ipv6(MutBytes out, const Ip6& src, const Ip6& dst, uint8_t next_header, uint16_t payload_len,
                uint8_t hop_limit) {
  uint8_t* p = out.data();
  p[0] = 0x60;
  p[1] = p[2] = p[3] = 0;
  put16(p + 4, payload_len);
  p[6] = next_header;
  p[7] = hop_limit;
  memcpy(p + 8, src.b, 16);
  memcpy(p + 24, dst.b, 16);
}

namespace {

// RFC 8200 8.1: source, destination, upper-layer length, next header.
uint32_t pseudo6(const Ip6& src, const Ip6& dst, uint32_t length) {
  uint32_t s = csum_add(0, Bytes(src.b, 16));
  s = csum_add(s, Bytes(dst.b, 16));
  uint8_t tail[8] = {uint8_t(length >> 24), uint8_t(length >> 16), uint8_t(length >> 8), uint8_t(length),
                     0, 0, 0, IPPROTO_ICMPV6};
  return csum_add(s, Bytes(tail, 8));
}

}  // namespace

Result<Icmp6Message> parse_icmp6(Bytes message, const Ip6& src, const Ip6& dst) {
  if (message.size() < ICMPV6_HEADER) return fail(Err::Truncated);
  uint32_t s = pseudo6(src, dst, uint32_t(message.size()));
  if (csum_fold(csum_add(s, message)) != 0) return fail(Err::Corrupt);
  return Icmp6Message{message[0], message[1], Bytes(message.data() + ICMPV6_HEADER, message.size() - ICMPV6_HEADER)};
}

void finish_icmp6(MutBytes msg, const Ip6& src, const Ip6& dst) {
  put16(msg.data() + 2, 0);
  uint32_t s = pseudo6(src, dst, uint32_t(msg.size()));
  put16(msg.data() + 2, csum_fold(csum_add(s, Bytes(msg.data(), msg.size()))));
}

Result<RouterAdvert> parse_router_advert(Bytes rest) {
  if (rest.size() < RA_MESSAGE - ICMPV6_HEADER) return fail(Err::Truncated);
  RouterAdvert ra;
  ra.router_lifetime_s = get16(rest.data() + 2);
  size_t off = RA_MESSAGE - ICMPV6_HEADER;
  while (off < rest.size()) {
    if (rest.size() - off < 2) return fail(Err::Truncated);
    const uint8_t* o = rest.data() + off;
    size_t len = size_t{o[1]} * 8;
    if (len == 0 || len > rest.size() - off) return fail(Err::Corrupt);  // RFC 4861 4.6: length 0 is invalid
    if (o[0] == ND_OPT_SOURCE_LL && len >= 8 && !ra.have_mac) {
      memcpy(ra.mac.b, o + 2, 6);
      ra.have_mac = true;
    } else if (o[0] == ND_OPT_PREFIX_INFO) {
      if (len != 32) return fail(Err::Corrupt);
      uint8_t plen = o[2];
      uint32_t valid = uint32_t{o[4]} << 24 | uint32_t{o[5]} << 16 | uint32_t{o[6]} << 8 | o[7];
      uint32_t preferred = uint32_t{o[8]} << 24 | uint32_t{o[9]} << 16 | uint32_t{o[10]} << 8 | o[11];
      Ip6 prefix;
      memcpy(prefix.b, o + 16, 16);
      bool link_local = prefix.b[0] == 0xFE && (prefix.b[1] & 0xC0) == 0x80;
      // RFC 4862 5.5.3: autonomous, not link-local, preferred <= valid;
      // an interface id of 64 bits needs a /64.
      if (!ra.have_prefix && (o[3] & PREFIX_FLAG_AUTONOMOUS) && !link_local && plen == 64 && valid > 0 &&
          preferred <= valid && !prefix.is_multicast()) {
        ra.prefix = prefix;
        ra.valid_s = valid;
        ra.have_prefix = true;
      }
    }
    off += len;
  }
  return ra;
}

Ip6 slaac_address(const Ip6& prefix, const Mac& mac) {
  Ip6 a = link_local_from_mac(mac);
  memcpy(a.b, prefix.b, 8);
  return a;
}

void format_ip6(const Ip6& a, char (&out)[IP6_TEXT_MAX]) {
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = get16(a.b + 2 * i);
  int best = -1, best_len = 1;  // a run must be at least 2 groups
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j > i ? j : i + 1;
  }
  const char* hex = "0123456789abcdef";
  size_t n = 0;
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      out[n++] = ':';
      if (i == 0) out[n++] = ':';
      i += best_len - 1;
      continue;
    }
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      uint8_t d = (g[i] >> shift) & 0xF;
      if (d || started || shift == 0) {
        out[n++] = hex[d];
        started = true;
      }
    }
    if (i < 7) out[n++] = ':';
  }
  out[n] = 0;
}

}  // namespace capos::net
