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

// The caller reference an endpoint server sees (EndpointMessageHeader
// scoped_ref): one session looks the same on every call to one endpoint
// scope, and different sessions — or one session at different scopes —
// look unrelated without the boot secret `key`.
inline void scoped_ref(const SipKey& key, uint64_t endpoint_scope, uint64_t session_id, uint64_t out[2]) {
  uint64_t in[2] = {endpoint_scope, session_id};
  siphash24_128(key, in, sizeof(in), out);
}

}  // namespace capos
