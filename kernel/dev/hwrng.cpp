#include "kernel/dev/hwrng.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"
#include "kernel/dev/entropy.h"

namespace capos::hwrng {

namespace {
bool g_rdrand = false, g_rdseed = false;
SipKey g_key{0, 0};
constexpr int RETRIES = 32;  // Intel's guidance for RDRAND underflow
}  // namespace

bool available() { return g_rdrand || g_rdseed; }

bool rdrand64(uint64_t* out) {
  if (!g_rdrand) return false;
  for (int i = 0; i < RETRIES; ++i) {
    unsigned char ok;
    asm volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok));
    if (ok) return true;
  }
  return false;
}

bool rdseed64(uint64_t* out) {
  if (!g_rdseed) return false;
  for (int i = 0; i < RETRIES; ++i) {
    unsigned char ok;
    asm volatile("rdseed %0; setc %1" : "=r"(*out), "=qm"(ok));
    if (ok) return true;
    arch::pause();
  }
  return false;
}

uint64_t best_effort64() {
  uint64_t v;
  // The seeded kernel CSPRNG first: one generator for every kernel secret.
  if (entropy::get(MutBytes(reinterpret_cast<uint8_t*>(&v), sizeof(v)))) return v;
  if (rdseed64(&v) || rdrand64(&v)) return v;
  // Fallback: hash TSC samples taken around I/O port reads (jitter).
  uint64_t acc[4];
  for (auto& a : acc) {
    a = arch::rdtsc();
    (void)arch::inb(0x80);
  }
  return siphash24(SipKey{arch::rdtsc(), 0x9e3779b97f4a7c15ull}, acc, sizeof(acc));
}

void best_effort128(uint64_t out[2]) {
  if (entropy::get(MutBytes(reinterpret_cast<uint8_t*>(out), 2 * sizeof(uint64_t)))) return;
  out[0] = best_effort64();
  out[1] = best_effort64();
}

void init() {
  g_rdrand = arch::cpuid(1).ecx & (1u << 30);
  g_rdseed = arch::cpuid(7, 0).ebx & (1u << 18);
  entropy::init();
  g_key = SipKey{best_effort64(), best_effort64()};
  if (!available()) klog("hwrng: no RDRAND/RDSEED; kernel secrets use TSC jitter only (weak)\n");
}

const SipKey& scoped_ref_key() { return g_key; }

}  // namespace capos::hwrng
