#include "kernel/dev/entropy.h"

#include "kernel/arch/x86_64/irq_spinlock.h"
#include "kernel/debug/log.h"
#include "kernel/dev/hwrng.h"
#include "lib/crypto/chacha20.h"
#include "lib/crypto/csprng.h"

namespace capos::entropy {

namespace {

arch::IrqSpinLock g_lock;  // the generator state (kernel secrets are drawn from interrupts-off code too)
[[clang::no_destroy]] Csprng g_rng CAPOS_GUARDED_BY(g_lock);  // lives until power-off
uint64_t g_reseeds CAPOS_GUARDED_BY(g_lock) = 0;
uint64_t g_reseed_failures CAPOS_GUARDED_BY(g_lock) = 0;
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

bool reseed_locked() CAPOS_REQUIRES(g_lock) {
  uint8_t m[SEED_BYTES];
  bool ok = hardware_material(m) && g_rng.seed(Bytes(m, sizeof(m)));
  secure_wipe(m, sizeof(m));
  if (ok) ++g_reseeds;
  return ok;
}

}  // namespace

void init() {
  arch::IrqSpinLockGuard g(g_lock);
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
  arch::IrqSpinLockGuard g(g_lock);
  return g_rng.ready();
}

Status get(MutBytes out) {
  arch::IrqSpinLockGuard g(g_lock);
  // A due reseed that fails keeps the current key: the generator stays
  // sound (it rekeys itself after every request); the failure is counted
  // and the reseed is retried on the next request.
  if (g_rng.ready() && g_rng.needs_reseed() && !reseed_locked()) ++g_reseed_failures;
  return g_rng.generate(out);
}

uint64_t reseeds() {
  arch::IrqSpinLockGuard g(g_lock);
  return g_reseeds;
}

}  // namespace capos::entropy
