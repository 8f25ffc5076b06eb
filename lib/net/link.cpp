#include "lib/net/link.h"

#include "lib/core/cstring.h"

namespace capos::net {

Result<EthFrame> parse_ethernet(Bytes frame) {
  if (frame.size() < ETH_HEADER) return fail(Err::Truncated);
  const uint8_t* p = frame.data();
  EthFrame f;
  memcpy(f.dst.b, p, 6);
  memcpy(f.src.b, p + 6, 6);
  f.type = get16(p + 12);
  if (f.type < 0x0600 || f.type == 0x8100) return fail(Err::Unsupported);
  f.payload = CAPOS_TRY(frame.subspan(ETH_HEADER));
  return f;
}

void write_ethernet(MutBytes out, const Mac& dst, const Mac& src, uint16_t type) {
  if (out.size() < ETH_HEADER) __builtin_trap();
  memcpy(out.data(), dst.b, 6);
  memcpy(out.data() + 6, src.b, 6);
  put16(out.data() + 12, type);
}

Result<ArpPacket> parse_arp(Bytes payload) {
  if (payload.size() < ARP_PACKET) return fail(Err::Truncated);
  const uint8_t* p = payload.data();
  if (get16(p) != 1 || get16(p + 2) != ETHERTYPE_IPV4 || p[4] != 6 || p[5] != 4)
    return fail(Err::Unsupported);
  ArpPacket a;
  a.op = get16(p + 6);
  if (a.op != ARP_REQUEST && a.op != ARP_REPLY) return fail(Err::Unsupported);
  memcpy(a.sender_mac.b, p + 8, 6);
  a.sender_ip = get32(p + 14);
  memcpy(a.target_mac.b, p + 18, 6);
  a.target_ip = get32(p + 24);
  return a;
}

void write_arp(MutBytes out, const ArpPacket& a) {
  if (out.size() < ARP_PACKET) __builtin_trap();
  uint8_t* p = out.data();
  put16(p, 1);
  put16(p + 2, ETHERTYPE_IPV4);
  p[4] = 6;
  p[5] = 4;
  put16(p + 6, a.op);
  memcpy(p + 8, a.sender_mac.b, 6);
  put32(p + 14, a.sender_ip);
  memcpy(p + 18, a.target_mac.b, 6);
  put32(p + 24, a.target_ip);
}

}  // namespace capos::net
