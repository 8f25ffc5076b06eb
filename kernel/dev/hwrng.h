// Hardware randomness (RDSEED/RDRAND), checked for availability and with
// bounded retries. Kernel secrets (scoped caller references) are seeded
// from here; the CSPRNG behind EntropySource builds on it.
#pragma once

#include <stdint.h>

#include "lib/crypto/siphash.h"

namespace capos::hwrng {

bool available();
// One 64-bit value; false if the hardware failed every retry.
bool rdrand64(uint64_t* out);
bool rdseed64(uint64_t* out);
// Best available 64 bits: the seeded kernel CSPRNG (kernel/dev/entropy.h),
// else RDSEED, else RDRAND, else a TSC-jitter mix (weak; reported once at
// boot).
uint64_t best_effort64();
// Two independent words from one draw (one CSPRNG block instead of two).
void best_effort128(uint64_t out[2]);

// Detects RDRAND/RDSEED, seeds the kernel CSPRNG, then draws the boot
// secret for service-scoped caller references from it.
void init();
const SipKey& scoped_ref_key();

}  // namespace capos::hwrng
