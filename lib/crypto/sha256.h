// SHA-256 (FIPS 180-4), for content-addressed storage keys (Store,
// docs/storage.md). Portable, no tables beyond the round constants.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/span.h"

namespace capos::crypto {

class Sha256 {
 public:
  static constexpr size_t kDigestBytes = 32;
  Sha256();
  void update(Bytes data);
  // Writes the digest; the object is spent afterwards.
  void finish(uint8_t out[kDigestBytes]);
  static void digest(Bytes data, uint8_t out[kDigestBytes]) {
    Sha256 h;
    h.update(data);
    h.finish(out);
  }

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t used_ = 0;
  uint64_t total_ = 0;
};

}  // namespace capos::crypto
