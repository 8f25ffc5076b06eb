// ChaCha20 CSPRNG with fast key erasure (Bernstein, "Fast-key-erasure
// random-number generators", 2017). The state is one 256-bit key. Every
// generate() expands the key into a keystream batch; the first 32 bytes of
// the batch replace the key and the rest is output. The old key is gone
// once generate() returns, so a later state compromise cannot reconstruct
// earlier outputs. Design notes: docs/entropy.md.
//
// Not thread-safe: the owner (the kernel's EntropySource) serialises.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"
#include "lib/crypto/chacha20.h"

namespace capos {

class Csprng {
 public:
  // Seed material credited before the generator produces anything.
  static constexpr size_t kMinSeedBytes = 32;
  // EntropySource.getBytes per-call cap. generate() itself accepts any
  // size; the capability layer enforces this bound.
  static constexpr size_t kMaxRequestBytes = 256;
  // Output bytes per key: larger requests rekey every batch.
  static constexpr size_t kBatchBytes = 4096;
  // Reseed policy thresholds for needs_reseed().
  static constexpr uint64_t kReseedAfterBytes = uint64_t{1} << 20;
  static constexpr uint64_t kReseedAfterCalls = uint64_t{1} << 16;

  Csprng() = default;
  ~Csprng();
  Csprng(const Csprng&) = delete;
  Csprng& operator=(const Csprng&) = delete;

  // Mixes `material` into the key (see mix() in csprng.cpp). The generator
  // becomes ready once kMinSeedBytes have been supplied in total (one call
  // or several). A call supplying >= kMinSeedBytes counts as a reseed and
  // resets the needs_reseed() counters. Empty material: InvalidArgument.
  Status seed(Bytes material);

  // Fills `out`. Fails closed with Unsupported (nothing written, no state
  // change) until seeded.
  Status generate(MutBytes out);

  bool ready() const { return ready_; }
  // True when unseeded or when kReseedAfterBytes / kReseedAfterCalls have
  // been served since the last full reseed: pull fresh RDSEED/RDRAND then.
  bool needs_reseed() const {
    return !ready_ || bytes_since_reseed_ >= kReseedAfterBytes || calls_since_reseed_ >= kReseedAfterCalls;
  }
  uint64_t bytes_since_reseed() const { return bytes_since_reseed_; }
  uint64_t calls_since_reseed() const { return calls_since_reseed_; }

 private:
  uint8_t key_[kChaCha20KeySize] = {};
  uint64_t seeded_bytes_ = 0;  // saturating credit until ready
  uint64_t bytes_since_reseed_ = 0;
  uint64_t calls_since_reseed_ = 0;
  bool ready_ = false;
};

}  // namespace capos
