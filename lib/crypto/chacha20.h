// ChaCha20 (RFC 8439): 256-bit key, 96-bit nonce, 32-bit block counter.
// Pure ARX on 32-bit words, so it is constant-time by construction (no
// secret-dependent branches or table indexes) and needs no SIMD: the same
// source serves the kernel (-mgeneral-regs-only), userspace and the host.
// It backs the CSPRNG (lib/crypto/csprng.h) behind EntropySource.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos {

inline constexpr size_t kChaCha20KeySize = 32;
inline constexpr size_t kChaCha20NonceSize = 12;
inline constexpr size_t kChaCha20BlockSize = 64;
// RFC 8439 §2.4: one (key, nonce) covers at most 2^32 blocks (256 GiB).
inline constexpr uint64_t kChaCha20MaxBlocks = uint64_t{1} << 32;

// §2.3: one 64-byte keystream block for (key, counter, nonce).
void chacha20_block(const uint8_t key[kChaCha20KeySize], uint32_t counter,
                    const uint8_t nonce[kChaCha20NonceSize], uint8_t out[kChaCha20BlockSize]);

// One-shot §2.4 encryption/decryption: out = in XOR keystream starting at
// block `counter`. in and out must have the same size; they may be the same
// buffer (not otherwise overlapping). Fails with LimitExceeded, writing
// nothing, if the stream would need a block past counter 2^32-1.
Status chacha20_xor(const uint8_t key[kChaCha20KeySize], const uint8_t nonce[kChaCha20NonceSize],
                    uint32_t counter, Bytes in, MutBytes out);
// Raw keystream (what chacha20_xor XORs in), same limits.
Status chacha20_keystream(const uint8_t key[kChaCha20KeySize], const uint8_t nonce[kChaCha20NonceSize],
                          uint32_t counter, MutBytes out);

// Incremental stream: successive calls continue where the last one stopped,
// at any byte granularity. The destructor wipes key and buffered keystream.
class ChaCha20 {
 public:
  ChaCha20(const uint8_t key[kChaCha20KeySize], const uint8_t nonce[kChaCha20NonceSize],
           uint32_t counter = 0);
  ~ChaCha20();
  ChaCha20(const ChaCha20&) = delete;
  ChaCha20& operator=(const ChaCha20&) = delete;

  // out = in XOR next keystream bytes (sizes must match; in may equal out).
  // LimitExceeded (nothing consumed) if the 32-bit counter would wrap.
  Status apply(Bytes in, MutBytes out);
  Status keystream(MutBytes out);

 private:
  Status run(const uint8_t* in, uint8_t* out, size_t len);
  uint32_t state_[16];
  uint8_t buf_[kChaCha20BlockSize];
  size_t buf_pos_ = kChaCha20BlockSize;  // == block size: buffer empty
  uint64_t next_block_;                   // may reach 2^32 = exhausted
};

// Zeroes secret material in a way the optimizer may not drop.
void secure_wipe(void* p, size_t n);

}  // namespace capos
