#include "lib/crypto/csprng.h"

#include "lib/core/cstring.h"

namespace capos {

namespace {

// Generation uses the all-zero nonce; mixing uses a nonce starting with
// "mix\0", so a mixing block can never equal a generation block.
constexpr uint8_t kZeroNonce[kChaCha20NonceSize] = {};

// key' = first 32 bytes of ChaCha20_block(key XOR m_i, counter = i,
// nonce = "mix\0" || LE64(len)), chained over the 32-byte chunks m_i of the
// material (last chunk zero-padded). The chunk index and the total length
// are inputs, so distinct materials never collide through padding. With a
// secret old key each step is a PRF output under that key; with a known old
// key the material's entropy carries through the (non-invertible, because
// of the feed-forward) block function, the same assumption fast key erasure
// already makes of it. ChaCha20 is the only primitive involved.
void mix(uint8_t key[kChaCha20KeySize], const uint8_t* data, size_t len) {
  uint8_t nonce[kChaCha20NonceSize] = {'m', 'i', 'x', 0};
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(uint64_t{len} >> (8 * i));
  uint8_t block[kChaCha20BlockSize];
  uint32_t index = 0;
  for (size_t off = 0; off < len; off += kChaCha20KeySize, ++index) {
    size_t n = len - off < kChaCha20KeySize ? len - off : kChaCha20KeySize;
    for (size_t i = 0; i < n; ++i) key[i] ^= data[off + i];
    chacha20_block(key, index, nonce, block);
    memcpy(key, block, kChaCha20KeySize);
  }
  secure_wipe(block, sizeof block);
}

}  // namespace

Csprng::~Csprng() { secure_wipe(key_, sizeof key_); }

Status Csprng::seed(Bytes material) {
  // The block counter indexes chunks; 2^32 chunks (128 GiB) is far beyond
  // any real seed, but the bound keeps the construction well-defined.
  if (material.empty() || uint64_t{material.size()} > (kChaCha20MaxBlocks - 1) * kChaCha20KeySize)
    return fail(Err::InvalidArgument);
  mix(key_, material.data(), material.size());
  size_t credit = material.size() < kMinSeedBytes ? material.size() : kMinSeedBytes;
  seeded_bytes_ = seeded_bytes_ + credit < kMinSeedBytes ? seeded_bytes_ + credit : kMinSeedBytes;
  if (seeded_bytes_ >= kMinSeedBytes) ready_ = true;
  if (material.size() >= kMinSeedBytes) {
    bytes_since_reseed_ = 0;
    calls_since_reseed_ = 0;
  }
  return ok_status();
}

Status Csprng::generate(MutBytes out) {
  if (!ready_) return fail(Err::Unsupported);
  if (out.empty()) return ok_status();
  uint8_t first[kChaCha20BlockSize];
  uint8_t* p = out.data();
  size_t left = out.size();
  // Each batch: block 0 -> [next key | first 32 output bytes], blocks 1.. ->
  // the rest of the batch, all under the current key, which is then replaced.
  while (left > 0) {
    size_t n = left < kBatchBytes ? left : kBatchBytes;
    chacha20_block(key_, 0, kZeroNonce, first);
    size_t head = n < kChaCha20BlockSize - kChaCha20KeySize ? n : kChaCha20BlockSize - kChaCha20KeySize;
    memcpy(p, first + kChaCha20KeySize, head);
    if (n > head) {
      // Cannot fail: a batch is far below the 2^32-block limit.
      if (!chacha20_keystream(key_, kZeroNonce, 1, MutBytes(p + head, n - head)).ok()) __builtin_trap();
    }
    memcpy(key_, first, kChaCha20KeySize);
    p += n;
    left -= n;
  }
  secure_wipe(first, sizeof first);
  bytes_since_reseed_ += out.size();
  ++calls_since_reseed_;
  return ok_status();
}

}  // namespace capos
