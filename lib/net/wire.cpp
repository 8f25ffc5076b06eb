#include "lib/net/wire.h"

namespace capos::net {

uint32_t csum_add(uint32_t sum, Bytes data) {
  uint64_t s = sum;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) s += get16(data.data() + i);
  if (i < data.size()) s += uint32_t{data.data()[i]} << 8;
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
