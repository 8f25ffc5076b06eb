#include "lib/net/wire.h"

#include "lib/core/cstring.h"

namespace capos::net {

// Eight bytes per step: the ones' complement sum does not depend on byte
// order (RFC 1071 2(B)), so 64-bit words in memory order are summed with
// end-around carry, folded to 16 bits and swapped into network order once.
// A segment's 1460 bytes take 183 steps instead of 730.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "csum_add swaps a little-endian sum");

uint32_t csum_add(uint32_t sum, Bytes data) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t wide = 0;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    wide += w;
    wide += wide < w;  // end-around carry
  }
  wide = (wide & 0xFFFFFFFFu) + (wide >> 32);
  wide = (wide & 0xFFFFFFFFu) + (wide >> 32);
  uint32_t folded = uint32_t(wide);
  folded = (folded & 0xFFFF) + (folded >> 16);
  folded = (folded & 0xFFFF) + (folded >> 16);
  uint64_t s = uint64_t{sum} + __builtin_bswap16(uint16_t(folded));
  size_t i = 0;  // the tail starts at an even offset: 16-bit words as before
  for (; i + 1 < n; i += 2) s += get16(p + i);
  if (i < n) s += uint32_t{p[i]} << 8;
  while (s >> 32) s = (s & 0xFFFFFFFFu) + (s >> 32);
  return uint32_t(s);
}

uint16_t csum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return uint16_t(~sum);
}

uint32_t csum_pseudo(Ip4 src, Ip4 dst, uint8_t proto, uint16_t length) {
  uint64_t s = uint64_t(src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + proto + length;
  return uint32_t(s);
}

}  // namespace capos::net
