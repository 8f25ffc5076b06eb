#include "kernel/dev/entropy.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"
#include "kernel/dev/hwrng.h"
#include "lib/crypto/chacha20.h"
#include "lib/crypto/csprng.h"

namespace capos::entropy {

namespace {

[[clang::no_destroy]] Csprng g_rng;  // lives until power-off
uint64_t g_reseeds = 0;
// 64 bytes per (re)seed: twice the minimum, so a partly biased hardware
// source still credits a full key's worth.
constexpr size_t SEED_BYTES = 64;

// Collects SEED_BYTES from RDSEED, topping up from RDRAND (each retried
// by hwrng). False if the hardware could not deliver all of it.
bool hardware_material(uint8_t* out) {
  for (size_t i = 0; i < SEED_BYTES; i += 8) {
    uint64_t v;
    if (!hwrng::rdseed64(&v) && !hwrng::rdrand64(&v)) return false;
    for (int b = 0; b < 8; ++b) out[i + b] = static_cast<uint8_t>(v >> (8 * b));
  }
  return true;
}

bool reseed_locked() {
  uint8_t m[SEED_BYTES];
  bool ok = hardware_material(m) && g_rng.seed(Bytes(m, sizeof(m)));
  secure_wipe(m, sizeof(m));
  if (ok) ++g_reseeds;
  return ok;
}

}  // namespace

void init() {
  arch::IrqGuard irq;
  if (!hwrng::available()) {
    klog("entropy: no RDSEED/RDRAND and no boot seed: EntropySource fails closed\n");
    return;
  }
  if (!reseed_locked()) {
    klog("entropy: hardware RNG failed every retry: EntropySource fails closed\n");
    return;
  }
  klog("entropy: CSPRNG seeded with {} bytes from hardware\n", SEED_BYTES);
}

bool seeded() {
  arch::IrqGuard irq;
  return g_rng.ready();
}

Status get(MutBytes out) {
  arch::IrqGuard irq;  // one CPU: masking interrupts serialises the generator
  if (g_rng.ready() && g_rng.needs_reseed()) (void)reseed_locked();
  return g_rng.generate(out);
}

uint64_t reseeds() {
  arch::IrqGuard irq;
  return g_reseeds;
}

}  // namespace capos::entropy
