#include "lib/net/ip.h"

namespace capos::net {

Result<Ipv4Packet> parse_ipv4(Bytes packet) {
  if (packet.size() < IPV4_HEADER) return fail(Err::Truncated);
  const uint8_t* p = packet.data();
  if ((p[0] >> 4) != 4) return fail(Err::Corrupt);
  size_t ihl = size_t(p[0] & 0xF) * 4;
  if (ihl < IPV4_HEADER) return fail(Err::Corrupt);
  size_t total = get16(p + 2);
  if (total < ihl) return fail(Err::Corrupt);
  if (total > packet.size()) return fail(Err::Truncated);
  Bytes header = CAPOS_TRY(packet.subspan(0, ihl));
  if (csum_fold(csum_add(0, header)) != 0) return fail(Err::Corrupt);
  uint16_t frag = get16(p + 6);
  if ((frag & 0x2000) || (frag & 0x1FFF)) return fail(Err::Unsupported);
  Ipv4Packet ip;
  ip.ttl = p[8];
  ip.protocol = p[9];
  ip.src = get32(p + 12);
  ip.dst = get32(p + 16);
  ip.header = header;
  ip.payload = CAPOS_TRY(packet.subspan(ihl, total - ihl));
  return ip;
}

void write_ipv4(MutBytes out, Ip4 src, Ip4 dst, uint8_t protocol, uint16_t payload_len, uint16_t id,
                uint8_t ttl) {
  if (out.size() < IPV4_HEADER) __builtin_trap();
  uint8_t* p = out.data();
  p[0] = 0x45;
  p[1] = 0;
  put16(p + 2, uint16_t(IPV4_HEADER + payload_len));
  put16(p + 4, id);
  put16(p + 6, 0x4000);  // don't fragment
  p[8] = ttl;
  p[9] = protocol;
  put16(p + 10, 0);
  put32(p + 12, src);
  put32(p + 16, dst);
  put16(p + 10, csum_fold(csum_add(0, Bytes(p, IPV4_HEADER))));
}

Result<IcmpMessage> parse_icmp(Bytes message) {
  if (message.size() < ICMP_HEADER) return fail(Err::Truncated);
  if (csum_fold(csum_add(0, message)) != 0) return fail(Err::Corrupt);
  const uint8_t* p = message.data();
  IcmpMessage m;
  m.type = p[0];
  m.code = p[1];
  m.ident = get16(p + 4);
  m.sequence = get16(p + 6);
  m.body = CAPOS_TRY(message.subspan(ICMP_HEADER));
  return m;
}

void write_icmp(MutBytes out, uint8_t type, uint8_t code, uint16_t ident, uint16_t sequence, size_t body_len) {
  if (out.size() < ICMP_HEADER + body_len) __builtin_trap();
  uint8_t* p = out.data();
  p[0] = type;
  p[1] = code;
  put16(p + 2, 0);
  put16(p + 4, ident);
  put16(p + 6, sequence);
  put16(p + 2, csum_fold(csum_add(0, Bytes(p, ICMP_HEADER + body_len))));
}

Result<UdpDatagram> parse_udp(Bytes datagram, Ip4 src, Ip4 dst) {
  if (datagram.size() < UDP_HEADER) return fail(Err::Truncated);
  const uint8_t* p = datagram.data();
  size_t len = get16(p + 4);
  if (len < UDP_HEADER || len > datagram.size()) return fail(Err::Corrupt);
  Bytes whole = CAPOS_TRY(datagram.subspan(0, len));
  if (get16(p + 6) != 0 && csum_fold(csum_add(csum_pseudo(src, dst, IPPROTO_UDP, uint16_t(len)), whole)) != 0)
    return fail(Err::Corrupt);
  UdpDatagram d;
  d.src_port = get16(p);
  d.dst_port = get16(p + 2);
  d.payload = CAPOS_TRY(whole.subspan(UDP_HEADER));
  return d;
}

void write_udp(MutBytes out, Ip4 src, Ip4 dst, uint16_t src_port, uint16_t dst_port, size_t payload_len) {
  size_t len = UDP_HEADER + payload_len;
  if (out.size() < len || len > 0xFFFF) __builtin_trap();
  uint8_t* p = out.data();
  put16(p, src_port);
  put16(p + 2, dst_port);
  put16(p + 4, uint16_t(len));
  put16(p + 6, 0);
  uint16_t c = csum_fold(csum_add(csum_pseudo(src, dst, IPPROTO_UDP, uint16_t(len)), Bytes(p, len)));
  put16(p + 6, c == 0 ? 0xFFFF : c);
}

}  // namespace capos::net
