#include "lib/crypto/chacha20.h"

#include "lib/core/cstring.h"

namespace capos {

namespace {

constexpr uint32_t kSigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};  // "expand 32-byte k"

inline uint32_t rotl(uint32_t x, int b) { return (x << b) | (x >> (32 - b)); }

// Byte-wise little-endian access: portable, and clang folds it to one mov.
inline uint32_t load32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}
inline void store32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

void init_state(uint32_t s[16], const uint8_t* key, uint32_t counter, const uint8_t* nonce) {
  for (int i = 0; i < 4; ++i) s[i] = kSigma[i];
  for (int i = 0; i < 8; ++i) s[4 + i] = load32(key + 4 * i);
  s[12] = counter;
  for (int i = 0; i < 3; ++i) s[13 + i] = load32(nonce + 4 * i);
}

#define CAPOS_QR(a, b, c, d)  \
  a += b; d ^= a; d = rotl(d, 16); \
  c += d; b ^= c; b = rotl(b, 12); \
  a += b; d ^= a; d = rotl(d, 8);  \
  c += d; b ^= c; b = rotl(b, 7);

// 20 rounds plus feed-forward on locals (kept in registers where the
// register file allows), then XOR with `in` (or plain store when null).
void block(const uint32_t s[16], const uint8_t* in, uint8_t* out) {
  uint32_t x0 = s[0], x1 = s[1], x2 = s[2], x3 = s[3], x4 = s[4], x5 = s[5], x6 = s[6], x7 = s[7];
  uint32_t x8 = s[8], x9 = s[9], x10 = s[10], x11 = s[11], x12 = s[12], x13 = s[13], x14 = s[14],
           x15 = s[15];
  for (int i = 0; i < 10; ++i) {
    CAPOS_QR(x0, x4, x8, x12) CAPOS_QR(x1, x5, x9, x13)
    CAPOS_QR(x2, x6, x10, x14) CAPOS_QR(x3, x7, x11, x15)
    CAPOS_QR(x0, x5, x10, x15) CAPOS_QR(x1, x6, x11, x12)
    CAPOS_QR(x2, x7, x8, x13) CAPOS_QR(x3, x4, x9, x14)
  }
  const uint32_t x[16] = {x0 + s[0],   x1 + s[1],   x2 + s[2],   x3 + s[3],
                          x4 + s[4],   x5 + s[5],   x6 + s[6],   x7 + s[7],
                          x8 + s[8],   x9 + s[9],   x10 + s[10], x11 + s[11],
                          x12 + s[12], x13 + s[13], x14 + s[14], x15 + s[15]};
  if (in) {
    for (int i = 0; i < 16; ++i) store32(out + 4 * i, load32(in + 4 * i) ^ x[i]);
  } else {
    for (int i = 0; i < 16; ++i) store32(out + 4 * i, x[i]);
  }
}
#undef CAPOS_QR

uint64_t blocks_for(size_t len) { return (uint64_t{len} + kChaCha20BlockSize - 1) / kChaCha20BlockSize; }

// Whole blocks go straight to `out`; a trailing partial block goes through
// a stack buffer that is wiped afterwards. Advances s[12].
void stream(uint32_t s[16], const uint8_t* in, uint8_t* out, size_t len) {
  while (len >= kChaCha20BlockSize) {
    block(s, in, out);
    ++s[12];
    if (in) in += kChaCha20BlockSize;
    out += kChaCha20BlockSize;
    len -= kChaCha20BlockSize;
  }
  if (len) {
    uint8_t tmp[kChaCha20BlockSize];
    block(s, nullptr, tmp);
    ++s[12];
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>((in ? in[i] : 0) ^ tmp[i]);
    secure_wipe(tmp, sizeof tmp);
  }
}

Status one_shot(const uint8_t* key, const uint8_t* nonce, uint32_t counter, const uint8_t* in,
                uint8_t* out, size_t len) {
  if (blocks_for(len) > kChaCha20MaxBlocks - counter) return fail(Err::LimitExceeded);
  uint32_t s[16];
  init_state(s, key, counter, nonce);
  stream(s, in, out, len);
  secure_wipe(s, sizeof s);
  return ok_status();
}

}  // namespace

void secure_wipe(void* p, size_t n) {
  memset(p, 0, n);
  // Tell the compiler the zeroed memory is observed, so the store stays.
  asm volatile("" : : "r"(p) : "memory");
}

void chacha20_block(const uint8_t key[kChaCha20KeySize], uint32_t counter,
                    const uint8_t nonce[kChaCha20NonceSize], uint8_t out[kChaCha20BlockSize]) {
  uint32_t s[16];
  init_state(s, key, counter, nonce);
  block(s, nullptr, out);
  secure_wipe(s, sizeof s);
}

Status chacha20_xor(const uint8_t key[kChaCha20KeySize], const uint8_t nonce[kChaCha20NonceSize],
                    uint32_t counter, Bytes in, MutBytes out) {
  if (in.size() != out.size()) return fail(Err::InvalidArgument);
  return one_shot(key, nonce, counter, in.data(), out.data(), out.size());
}

Status chacha20_keystream(const uint8_t key[kChaCha20KeySize], const uint8_t nonce[kChaCha20NonceSize],
                          uint32_t counter, MutBytes out) {
  return one_shot(key, nonce, counter, nullptr, out.data(), out.size());
}

ChaCha20::ChaCha20(const uint8_t key[kChaCha20KeySize], const uint8_t nonce[kChaCha20NonceSize],
                   uint32_t counter)
    : next_block_(counter) {
  init_state(state_, key, counter, nonce);
}

ChaCha20::~ChaCha20() {
  secure_wipe(state_, sizeof state_);
  secure_wipe(buf_, sizeof buf_);
}

Status ChaCha20::apply(Bytes in, MutBytes out) {
  if (in.size() != out.size()) return fail(Err::InvalidArgument);
  return run(in.data(), out.data(), out.size());
}

Status ChaCha20::keystream(MutBytes out) { return run(nullptr, out.data(), out.size()); }

Status ChaCha20::run(const uint8_t* in, uint8_t* out, size_t len) {
  size_t buffered = kChaCha20BlockSize - buf_pos_;
  if (len > buffered && blocks_for(len - buffered) > kChaCha20MaxBlocks - next_block_)
    return fail(Err::LimitExceeded);
  // Drain the leftover keystream of the previous partial block first.
  size_t take = len < buffered ? len : buffered;
  for (size_t i = 0; i < take; ++i) out[i] = static_cast<uint8_t>((in ? in[i] : 0) ^ buf_[buf_pos_ + i]);
  buf_pos_ += take;
  if (in) in += take;
  out += take;
  len -= take;
  size_t whole = len - len % kChaCha20BlockSize;
  stream(state_, in, out, whole);
  next_block_ += whole / kChaCha20BlockSize;
  len -= whole;
  if (len) {
    block(state_, nullptr, buf_);
    ++state_[12];
    ++next_block_;
    for (size_t i = 0; i < len; ++i) out[whole + i] = static_cast<uint8_t>((in ? in[whole + i] : 0) ^ buf_[i]);
    buf_pos_ = len;
  }
  return ok_status();
}

}  // namespace capos
