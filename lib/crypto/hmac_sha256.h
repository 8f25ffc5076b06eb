// HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256): keyed integrity for data
// kept on storage the key never reaches (the CredentialStore's account file,
// docs/identity.md), and the constant-time comparison that checks a MAC.
// Host-tested against RFC 4231's vectors (host.sha256_test).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/span.h"
#include "lib/crypto/sha256.h"

namespace capos::crypto {

class HmacSha256 {
 public:
  static constexpr size_t kMacBytes = Sha256::kDigestBytes;
  // Any key length: keys longer than a block are hashed first (RFC 2104).
  explicit HmacSha256(Bytes key);
  void update(Bytes data) { inner_.update(data); }
  // Writes the MAC; the object is spent afterwards.
  void finish(uint8_t out[kMacBytes]);
  static void mac(Bytes key, Bytes data, uint8_t out[kMacBytes]) {
    HmacSha256 h(key);
    h.update(data);
    h.finish(out);
  }

 private:
  Sha256 inner_;
  uint8_t opad_key_[64];
};

// Equality of two byte strings of the same length in time that depends only
// on the length (a MAC check must not say how many leading bytes matched).
bool equal_constant_time(Bytes a, Bytes b);

}  // namespace capos::crypto
