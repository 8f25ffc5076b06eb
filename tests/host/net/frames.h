// Builds raw frames for host tests of lib/net (what a hostile or fake
// peer would send) with the library's own header writers.
#pragma once

#include <cstring>
#include <vector>

#include "lib/net/ip.h"
#include "lib/net/link.h"
#include "lib/net/tcp_wire.h"

namespace capos::net::test {

inline std::vector<uint8_t> ip_frame(const Mac& dst_mac, const Mac& src_mac, Ip4 src, Ip4 dst, uint8_t proto,
                                     const std::vector<uint8_t>& l4) {
  std::vector<uint8_t> f(ETH_HEADER + IPV4_HEADER + l4.size());
  write_ethernet(MutBytes(f.data(), ETH_HEADER), dst_mac, src_mac, ETHERTYPE_IPV4);
  write_ipv4(MutBytes(f.data() + ETH_HEADER, IPV4_HEADER), src, dst, proto, uint16_t(l4.size()), 1, 64);
  memcpy(f.data() + ETH_HEADER + IPV4_HEADER, l4.data(), l4.size());
  return f;
}

inline std::vector<uint8_t> tcp_frame(const Mac& dst_mac, const Mac& src_mac, Ip4 src, Ip4 dst, TcpHeader h,
                                      const std::vector<uint8_t>& payload = {}) {
  size_t hl = tcp_header_len(h);
  std::vector<uint8_t> l4(hl + payload.size());
  if (!payload.empty()) memcpy(l4.data() + hl, payload.data(), payload.size());
  write_tcp(MutBytes(l4.data(), l4.size()), h, src, dst, payload.size());
  return ip_frame(dst_mac, src_mac, src, dst, IPPROTO_TCP, l4);
}

inline std::vector<uint8_t> udp_frame(const Mac& dst_mac, const Mac& src_mac, Ip4 src, Ip4 dst, uint16_t sport,
                                      uint16_t dport, const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> l4(UDP_HEADER + payload.size());
  memcpy(l4.data() + UDP_HEADER, payload.data(), payload.size());
  write_udp(MutBytes(l4.data(), l4.size()), src, dst, sport, dport, payload.size());
  return ip_frame(dst_mac, src_mac, src, dst, IPPROTO_UDP, l4);
}

inline std::vector<uint8_t> arp_frame(const Mac& dst_mac, const ArpPacket& a) {
  std::vector<uint8_t> f(ETH_HEADER + ARP_PACKET);
  write_ethernet(MutBytes(f.data(), ETH_HEADER), dst_mac, a.sender_mac, ETHERTYPE_ARP);
  write_arp(MutBytes(f.data() + ETH_HEADER, ARP_PACKET), a);
  return f;
}

}  // namespace capos::net::test
