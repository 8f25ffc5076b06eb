#include "lib/crypto/blake2b.h"

#include "lib/core/cstring.h"

namespace capos {

namespace {

constexpr uint64_t kIv[8] = {0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull,
                             0xa54ff53a5f1d36f1ull, 0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
                             0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull};

constexpr uint8_t kSigma[12][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4}, {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13}, {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11}, {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5}, {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};

inline uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

inline uint64_t load64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

Blake2b::Blake2b(size_t outlen) : outlen_(outlen) {
  for (int i = 0; i < 8; ++i) h_[i] = kIv[i];
  h_[0] ^= 0x01010000ull ^ outlen;
}

Blake2b::~Blake2b() {
  for (size_t i = 0; i < sizeof(buf_); ++i) reinterpret_cast<volatile uint8_t*>(buf_)[i] = 0;
}

void Blake2b::compress(bool last) {
  uint64_t m[16], v[16];
  for (int i = 0; i < 16; ++i) m[i] = load64(buf_ + 8 * i);
  for (int i = 0; i < 8; ++i) v[i] = h_[i], v[i + 8] = kIv[i];
  v[12] ^= t_[0];
  v[13] ^= t_[1];
  if (last) v[14] = ~v[14];
  auto g = [&](int a, int b, int c, int d, uint64_t x, uint64_t y) {
    v[a] = v[a] + v[b] + x;
    v[d] = rotr(v[d] ^ v[a], 32);
    v[c] = v[c] + v[d];
    v[b] = rotr(v[b] ^ v[c], 24);
    v[a] = v[a] + v[b] + y;
    v[d] = rotr(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = rotr(v[b] ^ v[c], 63);
  };
  for (int r = 0; r < 12; ++r) {
    const uint8_t* s = kSigma[r];
    g(0, 4, 8, 12, m[s[0]], m[s[1]]);
    g(1, 5, 9, 13, m[s[2]], m[s[3]]);
    g(2, 6, 10, 14, m[s[4]], m[s[5]]);
    g(3, 7, 11, 15, m[s[6]], m[s[7]]);
    g(0, 5, 10, 15, m[s[8]], m[s[9]]);
    g(1, 6, 11, 12, m[s[10]], m[s[11]]);
    g(2, 7, 8, 13, m[s[12]], m[s[13]]);
    g(3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (int i = 0; i < 8; ++i) h_[i] ^= v[i] ^ v[i + 8];
}

void Blake2b::update(const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (len > 0) {
    // Compress a full buffer only when more input follows (the last block
    // is compressed by final with the last-block flag).
    if (buf_len_ == sizeof(buf_)) {
      t_[0] += sizeof(buf_);
      if (t_[0] < sizeof(buf_)) ++t_[1];
      compress(false);
      buf_len_ = 0;
    }
    size_t n = sizeof(buf_) - buf_len_;
    if (n > len) n = len;
    memcpy(buf_ + buf_len_, p, n);
    buf_len_ += n;
    p += n;
    len -= n;
  }
}

void Blake2b::final(uint8_t* out) {
  t_[0] += buf_len_;
  if (t_[0] < buf_len_) ++t_[1];
  memset(buf_ + buf_len_, 0, sizeof(buf_) - buf_len_);
  compress(true);
  uint8_t full[64];
  for (int i = 0; i < 8; ++i)
    for (int k = 0; k < 8; ++k) full[8 * i + k] = static_cast<uint8_t>(h_[i] >> (8 * k));
  memcpy(out, full, outlen_);
  for (size_t i = 0; i < sizeof(full); ++i) reinterpret_cast<volatile uint8_t*>(full)[i] = 0;
}

void blake2b(uint8_t* out, size_t outlen, const void* data, size_t len) {
  Blake2b b(outlen);
  b.update(data, len);
  b.final(out);
}

}  // namespace capos
