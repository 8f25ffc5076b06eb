// IPv6 basics (RFC 8200): the header, ICMPv6 (RFC 4443) with its
// pseudo-header checksum, the Neighbor Solicitation / Advertisement pair
// and the Router Solicitation / Advertisement pair of Neighbor Discovery
// (RFC 4861), and the SLAAC address from an advertised /64 (RFC 4862).
// No extension headers, no fragments: enough to be reachable on the link
// and at the advertised prefix and to answer echo. Parsers check every
// length and the checksum.
#pragma once

#include "lib/net/wire.h"

namespace capos::net {

constexpr uint16_t ETHERTYPE_IPV6 = 0x86DD;
constexpr size_t IPV6_HEADER = 40;
constexpr uint8_t IPPROTO_ICMPV6 = 58;

struct Ip6 {
  uint8_t b[16] = {};
  constexpr bool operator==(const Ip6& o) const {
    for (int i = 0; i < 16; ++i)
      if (b[i] != o.b[i]) return false;
    return true;
  }
  constexpr bool is_unspecified() const { return *this == Ip6{}; }
  constexpr bool is_multicast() const { return b[0] == 0xFF; }
};

// fe80::/64 with the modified EUI-64 interface id of `mac` (RFC 4291 2.5.1).
Ip6 link_local_from_mac(const Mac& mac);
// ff02::1:ffXX:XXXX for `a` (RFC 4291 2.7.1).
Ip6 solicited_node(const Ip6& a);
// 33:33 + the low 32 bits of a multicast address (RFC 2464 7).
Mac multicast_mac(const Ip6& group);

struct Ipv6Packet {
  Ip6 src;
  Ip6 dst;
  uint8_t next_header;
  uint8_t hop_limit;
  Bytes payload;  // exactly payload_length bytes (link padding cut)
};

// Errors: Truncated (shorter than its header or payload length), Corrupt
// (version not 6).
Result<Ipv6Packet> parse_ipv6(Bytes packet);
// Writes the 40-byte header at out[0..40).
void write_ipv6(MutBytes out, const Ip6& src, const Ip6& dst, uint8_t next_header, uint16_t payload_len,
                uint8_t hop_limit);

constexpr size_t ICMPV6_HEADER = 4;
constexpr uint8_t ICMPV6_ECHO_REQUEST = 128;
constexpr uint8_t ICMPV6_ECHO_REPLY = 129;
constexpr uint8_t ICMPV6_NEIGHBOR_SOLICIT = 135;
constexpr uint8_t ICMPV6_NEIGHBOR_ADVERT = 136;
constexpr size_t ND_MESSAGE = 24;        // 4-byte header, 4 reserved/flags, 16-byte target
constexpr size_t ND_LINK_OPTION = 8;     // source/target link-layer address option
constexpr uint8_t ND_OPT_SOURCE_LL = 1;
constexpr uint8_t ND_OPT_TARGET_LL = 2;

constexpr uint8_t ICMPV6_ROUTER_SOLICIT = 133;
constexpr uint8_t ICMPV6_ROUTER_ADVERT = 134;
constexpr size_t RA_MESSAGE = 16;        // 4-byte header, hop limit, flags, lifetime, reachable, retrans
constexpr uint8_t ND_OPT_PREFIX_INFO = 3;
constexpr uint8_t PREFIX_FLAG_AUTONOMOUS = 0x40;

// ff02::1 (all nodes: unsolicited Router Advertisements) and ff02::2
// (all routers: Router Solicitations).
constexpr Ip6 ALL_NODES = {{0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
constexpr Ip6 ALL_ROUTERS = {{0xFF, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};

// What a Router Advertisement offers us: the router's link-layer address
// and the first prefix usable for SLAAC (autonomous flag, /64, not
// link-local, valid lifetime > 0).
struct RouterAdvert {
  uint16_t router_lifetime_s = 0;
  bool have_mac = false;
  Mac mac{};
  bool have_prefix = false;
  Ip6 prefix{};
  uint32_t valid_s = 0;
};

// Parses the body of an ICMPv6 Router Advertisement (Icmp6Message::rest).
// Errors: Truncated, Corrupt (an option of length 0 or running past the
// end, an impossible prefix option).
Result<RouterAdvert> parse_router_advert(Bytes rest);
// The prefix's first 64 bits and `mac`'s modified EUI-64 (RFC 4862 5.5.3).
Ip6 slaac_address(const Ip6& prefix, const Mac& mac);

// RFC 5952 text ("fec0::5054:ff:fe12:3456"): lowercase, no leading
// zeros, the first longest run of two or more zero groups as "::".
constexpr size_t IP6_TEXT_MAX = 40;  // 39 characters and the NUL
void format_ip6(const Ip6& a, char (&out)[IP6_TEXT_MAX]);

struct Icmp6Message {
  uint8_t type;
  uint8_t code;
  Bytes rest;  // after the 4-byte type/code/checksum
};

// Errors: Truncated, Corrupt (checksum over the pseudo-header of src/dst).
Result<Icmp6Message> parse_icmp6(Bytes message, const Ip6& src, const Ip6& dst);
// Fills the checksum of the ICMPv6 message in `msg` (type and code set,
// checksum field ignored).
void finish_icmp6(MutBytes msg, const Ip6& src, const Ip6& dst);

}  // namespace capos::net
