// IPv4 (RFC 791), ICMP echo (RFC 792) and UDP (RFC 768) headers. Parsers
// verify lengths and checksums; fragments are refused (the stack never
// sends them and does not reassemble).
#pragma once

#include "lib/net/wire.h"

namespace capos::net {

constexpr size_t IPV4_HEADER = 20;
constexpr uint8_t IPPROTO_ICMP = 1;
constexpr uint8_t IPPROTO_TCP = 6;
constexpr uint8_t IPPROTO_UDP = 17;

struct Ipv4Packet {
  Ip4 src;
  Ip4 dst;
  uint8_t protocol;
  uint8_t ttl;
  Bytes header;   // the whole header, options included (ICMP errors quote it)
  Bytes payload;  // exactly total_length - header length (link padding cut)
};

// Errors: Truncated (shorter than its header or total length), Corrupt
// (version, header length, checksum), Unsupported (a fragment).
Result<Ipv4Packet> parse_ipv4(Bytes packet);
// Writes a 20-byte header for `payload_len` bytes of payload at out[0..20).
void write_ipv4(MutBytes out, Ip4 src, Ip4 dst, uint8_t protocol, uint16_t payload_len, uint16_t id,
                uint8_t ttl);

constexpr size_t ICMP_HEADER = 8;
constexpr uint8_t ICMP_ECHO_REPLY = 0;
constexpr uint8_t ICMP_UNREACHABLE = 3;
constexpr uint8_t ICMP_ECHO_REQUEST = 8;

struct IcmpMessage {
  uint8_t type;
  uint8_t code;
  uint16_t ident;     // echo: identifier
  uint16_t sequence;  // echo: sequence number
  Bytes body;         // bytes after the 8-byte header
};

// Errors: Truncated, Corrupt (checksum).
Result<IcmpMessage> parse_icmp(Bytes message);
// Writes the header for `body` (already at out[8..8+body.size())) and its checksum.
void write_icmp(MutBytes out, uint8_t type, uint8_t code, uint16_t ident, uint16_t sequence, size_t body_len);

constexpr size_t UDP_HEADER = 8;

struct UdpDatagram {
  uint16_t src_port;
  uint16_t dst_port;
  Bytes payload;
};

// `src`/`dst` are the IPv4 addresses for the pseudo-header checksum; a
// zero checksum field means "none" (RFC 768).
// Errors: Truncated, Corrupt (length field or checksum).
Result<UdpDatagram> parse_udp(Bytes datagram, Ip4 src, Ip4 dst);
// Writes the header for a payload already at out[8..8+payload_len), with checksum.
void write_udp(MutBytes out, Ip4 src, Ip4 dst, uint16_t src_port, uint16_t dst_port, size_t payload_len);

}  // namespace capos::net
