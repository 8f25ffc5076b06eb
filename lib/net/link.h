// Ethernet II framing and ARP for IPv4 over Ethernet (RFC 826). Frames
// come from the network: every field is checked before use.
#pragma once

#include "lib/net/wire.h"

namespace capos::net {

constexpr size_t ETH_HEADER = 14;
constexpr size_t ETH_MAX_FRAME = 1514;  // without FCS
constexpr uint16_t ETHERTYPE_IPV4 = 0x0800;
constexpr uint16_t ETHERTYPE_ARP = 0x0806;

struct EthFrame {
  Mac dst;
  Mac src;
  uint16_t type;
  Bytes payload;
};

// Errors: Truncated (shorter than a header), Unsupported (an 802.3 length
// field or VLAN tag instead of an EtherType).
Result<EthFrame> parse_ethernet(Bytes frame);
// Writes the 14-byte header at out[0..14). `out` must hold ETH_HEADER bytes.
void write_ethernet(MutBytes out, const Mac& dst, const Mac& src, uint16_t type);

constexpr size_t ARP_PACKET = 28;
constexpr uint16_t ARP_REQUEST = 1;
constexpr uint16_t ARP_REPLY = 2;

struct ArpPacket {
  uint16_t op;
  Mac sender_mac;
  Ip4 sender_ip;
  Mac target_mac;
  Ip4 target_ip;
};

// Errors: Truncated, Unsupported (not Ethernet/IPv4 or an unknown op).
Result<ArpPacket> parse_arp(Bytes payload);
// Writes ARP_PACKET bytes at out[0..28).
void write_arp(MutBytes out, const ArpPacket& p);

}  // namespace capos::net
