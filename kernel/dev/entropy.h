// The kernel's one CSPRNG (lib/crypto/csprng.h, ChaCha20 with fast key
// erasure) behind EntropySource and the kernel's own secrets (scoped-ref
// key, session ids, endpoint scopes). Seeded at boot from RDSEED (else
// RDRAND) and reseeded from them when the generator asks for it. Fails
// closed: with no hardware source it is never seeded and get() answers
// Unsupported. There is no boot-seed source in the manifest yet.
// Docs: docs/entropy.md.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::entropy {

// Seeds from hardware (call after hwrng detection). Logs the outcome.
void init();
// True once the generator holds >= 32 bytes of hardware seed material.
bool seeded();
// Fills `out` with generator output; reseeds first when due (a failed
// reseed keeps the current key: it is still secret). Unsupported when
// unseeded; nothing is written then.
Status get(MutBytes out);
// Counters for tests and diagnostics.
uint64_t reseeds();

}  // namespace capos::entropy
