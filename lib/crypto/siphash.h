// SipHash-2-4 (Aumasson & Bernstein): a keyed PRF. The kernel uses it to
// derive service-scoped, non-portable caller references from a boot
// secret, so a reference names a session to one service only.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos {

struct SipKey {
  uint64_t k0, k1;
};

uint64_t siphash24(const SipKey& key, const void* data, size_t len);
// The 128-bit output variant.
void siphash24_128(const SipKey& key, const void* data, size_t len, uint64_t out[2]);

}  // namespace capos
