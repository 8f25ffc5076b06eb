#include "lib/net/tcp_wire.h"

#include "lib/net/ip.h"

namespace capos::net {

Result<TcpSegment> parse_tcp(Bytes segment, Ip4 src, Ip4 dst) {
  if (segment.size() < TCP_HEADER) return fail(Err::Truncated);
  if (segment.size() > 0xFFFF) return fail(Err::Corrupt);
  const uint8_t* p = segment.data();
  size_t off = size_t(p[12] >> 4) * 4;
  if (off < TCP_HEADER || off > segment.size()) return fail(Err::Corrupt);
  if (csum_fold(csum_add(csum_pseudo(src, dst, IPPROTO_TCP, uint16_t(segment.size())), segment)) != 0)
    return fail(Err::Corrupt);
  TcpSegment s;
  s.h.src_port = get16(p);
  s.h.dst_port = get16(p + 2);
  s.h.seq = get32(p + 4);
  s.h.ack = get32(p + 8);
  s.h.flags = p[13] & 0x3F;
  s.h.window = get16(p + 14);
  size_t i = TCP_HEADER;
  while (i < off) {
    uint8_t kind = p[i];
    if (kind == 0) break;
    if (kind == 1) { ++i; continue; }
    if (i + 1 >= off) return fail(Err::Corrupt);
    size_t len = p[i + 1];
    if (len < 2 || i + len > off) return fail(Err::Corrupt);
    if (kind == 2 && len == 4) s.h.mss = get16(p + i + 2);
    if (kind == 3 && len == 3) {
      s.h.has_wscale = true;
      s.h.wscale = p[i + 2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : p[i + 2];
    }
    i += len;
  }
  s.payload = CAPOS_TRY(segment.subspan(off));
  return s;
}

size_t tcp_header_len(const TcpHeader& h) { return TCP_HEADER + ((h.flags & TCP_SYN) ? TCP_SYN_OPTIONS : 0); }

void write_tcp(MutBytes out, const TcpHeader& h, Ip4 src, Ip4 dst, size_t payload_len) {
  size_t hl = tcp_header_len(h);
  size_t total = hl + payload_len;
  if (out.size() < total || total > 0xFFFF) __builtin_trap();
  uint8_t* p = out.data();
  put16(p, h.src_port);
  put16(p + 2, h.dst_port);
  put32(p + 4, h.seq);
  put32(p + 8, h.ack);
  p[12] = uint8_t((hl / 4) << 4);
  p[13] = h.flags;
  put16(p + 14, h.window);
  put16(p + 16, 0);
  put16(p + 18, 0);
  if (h.flags & TCP_SYN) {
    p[20] = 2; p[21] = 4; put16(p + 22, h.mss);
    p[24] = 1; p[25] = 3; p[26] = 3; p[27] = h.wscale;
  }
  put16(p + 16, csum_fold(csum_add(csum_pseudo(src, dst, IPPROTO_TCP, uint16_t(total)), Bytes(p, total))));
}

}  // namespace capos::net
