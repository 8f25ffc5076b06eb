#include "lib/crypto/hmac_sha256.h"

namespace capos::crypto {

namespace {
// Zeroes key material in a way the compiler cannot drop as a dead store.
void wipe(uint8_t* p, size_t n) {
  volatile uint8_t* v = p;
  for (size_t i = 0; i < n; ++i) v[i] = 0;
}
}  // namespace

HmacSha256::HmacSha256(Bytes key) {
  uint8_t k[64] = {};
  if (key.size() > sizeof(k)) {
    Sha256::digest(key, k);
  } else {
    for (size_t i = 0; i < key.size(); ++i) k[i] = key[i];
  }
  uint8_t ipad[64];
  for (size_t i = 0; i < 64; ++i) {
    ipad[i] = static_cast<uint8_t>(k[i] ^ 0x36);
    opad_key_[i] = static_cast<uint8_t>(k[i] ^ 0x5c);
  }
  inner_.update(Bytes(ipad, sizeof(ipad)));
  // Key material does not outlive its use.
  wipe(k, sizeof(k));
  wipe(ipad, sizeof(ipad));
}

void HmacSha256::finish(uint8_t out[kMacBytes]) {
  uint8_t inner[kMacBytes];
  inner_.finish(inner);
  Sha256 outer;
  outer.update(Bytes(opad_key_, sizeof(opad_key_)));
  outer.update(Bytes(inner, sizeof(inner)));
  outer.finish(out);
  wipe(opad_key_, sizeof(opad_key_));
  wipe(inner, sizeof(inner));
}

bool equal_constant_time(Bytes a, Bytes b) {
  if (a.size() != b.size()) return false;
  uint8_t diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff = static_cast<uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

}  // namespace capos::crypto
