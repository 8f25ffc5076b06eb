#include "lib/crypto/siphash.h"

#include "lib/core/cstring.h"

namespace capos {

namespace {

constexpr uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct State {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
};

uint64_t load_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

void sip(const SipKey& key, const void* data, size_t len, bool wide, uint64_t out[2]) {
  State s{0x736f6d6570736575ull ^ key.k0, 0x646f72616e646f6dull ^ key.k1, 0x6c7967656e657261ull ^ key.k0,
          0x7465646279746573ull ^ key.k1};
  if (wide) s.v1 ^= 0xee;
  auto* p = static_cast<const uint8_t*>(data);
  size_t full = len & ~size_t{7};
  for (size_t i = 0; i < full; i += 8) {
    uint64_t m = load_le(p + i);
    s.v3 ^= m;
    s.round();
    s.round();
    s.v0 ^= m;
  }
  uint64_t b = static_cast<uint64_t>(len) << 56;
  for (size_t i = 0; i < (len & 7); ++i) b |= static_cast<uint64_t>(p[full + i]) << (8 * i);
  s.v3 ^= b;
  s.round();
  s.round();
  s.v0 ^= b;
  s.v2 ^= wide ? 0xee : 0xff;
  for (int i = 0; i < 4; ++i) s.round();
  out[0] = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
  if (!wide) return;
  s.v1 ^= 0xdd;
  for (int i = 0; i < 4; ++i) s.round();
  out[1] = s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace

uint64_t siphash24(const SipKey& key, const void* data, size_t len) {
  uint64_t out[2];
  sip(key, data, len, false, out);
  return out[0];
}

void siphash24_128(const SipKey& key, const void* data, size_t len, uint64_t out[2]) {
  sip(key, data, len, true, out);
}

}  // namespace capos
