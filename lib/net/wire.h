// Network byte order, addresses and the Internet checksum (RFC 1071),
// shared by every protocol in lib/net. Addresses are host-order values:
// Ip4 10.0.2.2 is 0x0A000202, as in schema/net.capnp.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/span.h"

namespace capos::net {

using Ip4 = uint32_t;

constexpr Ip4 ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return (Ip4{a} << 24) | (Ip4{b} << 16) | (Ip4{c} << 8) | Ip4{d};
}
constexpr Ip4 IP4_BROADCAST = 0xFFFFFFFFu;

struct Mac {
  uint8_t b[6] = {};
  constexpr bool operator==(const Mac& o) const {
    for (int i = 0; i < 6; ++i)
      if (b[i] != o.b[i]) return false;
    return true;
  }
  constexpr bool is_broadcast() const { return *this == Mac{{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}}; }
  constexpr bool is_multicast() const { return (b[0] & 1) != 0; }
};
constexpr Mac MAC_BROADCAST = {{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}};

// Big-endian accessors. Callers have checked the bounds (parsers slice
// with Span::subspan first), so these take raw pointers.
constexpr uint16_t get16(const uint8_t* p) { return uint16_t((p[0] << 8) | p[1]); }
constexpr uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
constexpr void put16(uint8_t* p, uint16_t v) { p[0] = uint8_t(v >> 8); p[1] = uint8_t(v); }
constexpr void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24); p[1] = uint8_t(v >> 16); p[2] = uint8_t(v >> 8); p[3] = uint8_t(v);
}

// One's-complement sum of `data` added to `sum` (unfolded, 32-bit).
uint32_t csum_add(uint32_t sum, Bytes data);
// Folds and complements: the value to store in a checksum field. A buffer
// whose stored checksum is right sums to 0 here.
uint16_t csum_fold(uint32_t sum);
// Sum of the TCP/UDP pseudo-header (RFC 793 3.1, RFC 768).
uint32_t csum_pseudo(Ip4 src, Ip4 dst, uint8_t proto, uint16_t length);

// Sequence-number arithmetic modulo 2^32 (RFC 793 3.3).
constexpr bool seq_lt(uint32_t a, uint32_t b) { return int32_t(a - b) < 0; }
constexpr bool seq_le(uint32_t a, uint32_t b) { return int32_t(a - b) <= 0; }
constexpr bool seq_gt(uint32_t a, uint32_t b) { return int32_t(a - b) > 0; }
constexpr bool seq_ge(uint32_t a, uint32_t b) { return int32_t(a - b) >= 0; }

// Does `addr` lie in network/prefix?
constexpr bool in_prefix(Ip4 addr, Ip4 network, uint8_t prefix) {
  if (prefix == 0) return true;
  if (prefix > 32) return false;
  uint32_t mask = prefix == 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> prefix);
  return (addr & mask) == (network & mask);
}

}  // namespace capos::net
