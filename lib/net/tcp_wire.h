// TCP segment header and options (RFC 9293 3.1; MSS, window scale RFC
// 7323). Parsing checks the checksum and every option length; unknown
// options are skipped.
#pragma once

#include "lib/net/wire.h"

namespace capos::net {

constexpr size_t TCP_HEADER = 20;
constexpr size_t TCP_SYN_OPTIONS = 8;  // MSS (4) + NOP + window scale (3)
constexpr uint8_t TCP_FIN = 0x01;
constexpr uint8_t TCP_SYN = 0x02;
constexpr uint8_t TCP_RST = 0x04;
constexpr uint8_t TCP_PSH = 0x08;
constexpr uint8_t TCP_ACK = 0x10;
constexpr uint8_t TCP_MAX_WSCALE = 14;

struct TcpHeader {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;  // as on the wire (unscaled)
  uint16_t mss = 0;     // 0: no MSS option
  bool has_wscale = false;
  uint8_t wscale = 0;   // clamped to TCP_MAX_WSCALE
};

struct TcpSegment {
  TcpHeader h;
  Bytes payload;
  // Sequence space the segment occupies: payload plus SYN and FIN.
  uint32_t seg_len() const {
    return uint32_t(payload.size()) + ((h.flags & TCP_SYN) ? 1 : 0) + ((h.flags & TCP_FIN) ? 1 : 0);
  }
};

// Errors: Truncated, Corrupt (data offset, an option running past the
// header, checksum).
Result<TcpSegment> parse_tcp(Bytes segment, Ip4 src, Ip4 dst);

// Writes the header (with MSS and window-scale options when h.flags has
// SYN) in front of a payload already placed at out[header_len..); returns
// the header length. Computes the checksum over header and payload.
size_t tcp_header_len(const TcpHeader& h);
void write_tcp(MutBytes out, const TcpHeader& h, Ip4 src, Ip4 dst, size_t payload_len);

}  // namespace capos::net
