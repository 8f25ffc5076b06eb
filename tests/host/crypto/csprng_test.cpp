// Csprng: fail-closed, known answers (from an independent Python model of
// the documented design, and from a raw-ChaCha20 model here), reseeding,
// fast key erasure, reseed policy, large requests, statistical sanity.
#include "lib/crypto/csprng.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {

using capos::Csprng;
using Vec = std::vector<uint8_t>;

capos::Bytes B(const Vec& v) { return capos::Bytes(v.data(), v.size()); }
capos::MutBytes M(Vec& v) { return capos::MutBytes(v.data(), v.size()); }

Vec hex(const char* s) {
  Vec out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (; s[0] && s[1]; s += 2) out.push_back(static_cast<uint8_t>(nib(s[0]) << 4 | nib(s[1])));
  return out;
}

Vec seq(size_t n, uint8_t start = 0) {
  Vec v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(start + i);
  return v;
}

// Reference model written directly against the raw ChaCha20 stream, as
// docs/entropy.md specifies it.
struct Model {
  Vec key = Vec(32, 0);
  void mix(const Vec& m) {
    uint8_t nonce[12] = {'m', 'i', 'x', 0};
    for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(uint64_t{m.size()} >> (8 * i));
    for (size_t off = 0, idx = 0; off < m.size(); off += 32, ++idx) {
      for (size_t i = 0; i < 32 && off + i < m.size(); ++i) key[i] ^= m[off + i];
      uint8_t blk[64];
      capos::chacha20_block(key.data(), static_cast<uint32_t>(idx), nonce, blk);
      key.assign(blk, blk + 32);
    }
  }
  Vec gen(size_t n) {
    Vec out;
    const uint8_t zero[12] = {};
    while (n > 0) {
      size_t m = n < Csprng::kBatchBytes ? n : Csprng::kBatchBytes;
      Vec s(32 + m);
      EXPECT_TRUE(capos::chacha20_keystream(key.data(), zero, 0, M(s)).ok());
      key.assign(s.begin(), s.begin() + 32);
      out.insert(out.end(), s.begin() + 32, s.end());
      n -= m;
    }
    return out;
  }
};

Vec gen(Csprng& r, size_t n) {
  Vec v(n);
  EXPECT_TRUE(r.generate(M(v)).ok());
  return v;
}

bool contains(const void* hay, size_t hay_len, const uint8_t* needle, size_t n) {
  auto* h = static_cast<const uint8_t*>(hay);
  for (size_t i = 0; i + n <= hay_len; ++i)
    if (memcmp(h + i, needle, n) == 0) return true;
  return false;
}

TEST(Csprng, FailsClosedUntilSeeded) {
  Csprng r;
  EXPECT_FALSE(r.ready());
  EXPECT_TRUE(r.needs_reseed());
  Vec out(16, 0xcc);
  EXPECT_EQ(r.generate(M(out)).error(), capos::Err::Unsupported);
  EXPECT_EQ(out, Vec(16, 0xcc));  // nothing written
  Vec empty;
  EXPECT_EQ(r.generate(M(empty)).error(), capos::Err::Unsupported);
  EXPECT_EQ(r.seed(B(empty)).error(), capos::Err::InvalidArgument);

  // 16 + 15 bytes are not enough; the 32nd byte makes it ready.
  ASSERT_TRUE(r.seed(B(seq(16))).ok());
  ASSERT_TRUE(r.seed(B(seq(15))).ok());
  EXPECT_FALSE(r.ready());
  EXPECT_EQ(r.generate(M(out)).error(), capos::Err::Unsupported);
  ASSERT_TRUE(r.seed(B(seq(1))).ok());
  EXPECT_TRUE(r.ready());
  EXPECT_TRUE(r.generate(M(out)).ok());
  EXPECT_NE(out, Vec(16, 0xcc));
}

TEST(Csprng, KnownAnswerIndependentModel) {
  // Hex from a Python model (pyca/cryptography ChaCha20) of the design.
  Csprng r;
  ASSERT_TRUE(r.seed(B(seq(32))).ok());
  EXPECT_EQ(gen(r, 16), hex("5c0b1d270700706bb3d823dfdd35ae63"));
  Vec big = gen(r, 5000);
  EXPECT_EQ(Vec(big.begin(), big.begin() + 16), hex("4bdc47a79dfb53b8878cd4ae32f90896"));
  EXPECT_EQ(Vec(big.end() - 16, big.end()), hex("fba0f4f9a90d19070e497734e1d4dcc9"));
  const char reseed[] = "reseed!";
  ASSERT_TRUE(r.seed(capos::Bytes(reinterpret_cast<const uint8_t*>(reseed), 7)).ok());
  EXPECT_EQ(gen(r, 16), hex("6f62627e4a94c8bd5fd88ee71799c963"));
}

TEST(Csprng, MatchesRawChaChaModel) {
  Csprng r;
  Model m;
  Vec s = seq(77, 3);  // multi-chunk, non-multiple-of-32 seed
  ASSERT_TRUE(r.seed(B(s)).ok());
  m.mix(s);
  for (size_t n : {0u, 1u, 31u, 32u, 33u, 256u, 4095u, 4096u, 4097u, 12345u}) {
    ASSERT_EQ(gen(r, n), m.gen(n)) << n;
  }
  Vec s2 = seq(5, 9);
  ASSERT_TRUE(r.seed(B(s2)).ok());
  m.mix(s2);
  EXPECT_EQ(gen(r, 100), m.gen(100));
}

TEST(Csprng, DeterministicForFixedSeedAndSensitiveToIt) {
  Csprng a, b, c;
  ASSERT_TRUE(a.seed(B(seq(32))).ok());
  ASSERT_TRUE(b.seed(B(seq(32))).ok());
  ASSERT_TRUE(c.seed(B(seq(32, 1))).ok());
  Vec x = gen(a, 64);
  EXPECT_EQ(x, gen(b, 64));
  EXPECT_NE(x, gen(c, 64));
  // Padding cannot alias: "ab" and "ab\0" seed differently.
  Csprng d, e;
  ASSERT_TRUE(d.seed(B(Vec{1, 2})).ok());
  ASSERT_TRUE(d.seed(B(seq(32))).ok());
  ASSERT_TRUE(e.seed(B(Vec{1, 2, 0})).ok());
  ASSERT_TRUE(e.seed(B(seq(32))).ok());
  EXPECT_NE(gen(d, 32), gen(e, 32));
}

TEST(Csprng, OutputsDifferAfterReseed) {
  Csprng a, b;
  ASSERT_TRUE(a.seed(B(seq(32))).ok());
  ASSERT_TRUE(b.seed(B(seq(32))).ok());
  EXPECT_EQ(gen(a, 32), gen(b, 32));
  ASSERT_TRUE(b.seed(B(seq(32, 100))).ok());
  EXPECT_NE(gen(a, 32), gen(b, 32));
  // Successive outputs never repeat either.
  EXPECT_NE(gen(a, 32), gen(a, 32));
}

TEST(Csprng, FastKeyErasure) {
  Csprng r;
  Model m;
  ASSERT_TRUE(r.seed(B(seq(32))).ok());
  m.mix(seq(32));
  Vec old_key = m.key;
  EXPECT_TRUE(contains(&r, sizeof r, old_key.data(), 32));  // sanity: the scan sees the key
  Vec out = gen(r, 200);
  EXPECT_EQ(out, m.gen(200));
  // The state holds the erasure key (first 32 bytes of the batch) and
  // neither the key that produced the output nor any piece of the output.
  EXPECT_TRUE(contains(&r, sizeof r, m.key.data(), 32));
  EXPECT_FALSE(contains(&r, sizeof r, old_key.data(), 8));
  for (size_t i = 0; i + 8 <= out.size(); ++i) EXPECT_FALSE(contains(&r, sizeof r, out.data() + i, 8)) << i;
  // The new key is not something the output reveals.
  EXPECT_FALSE(contains(out.data(), out.size(), m.key.data(), 8));
}

TEST(Csprng, ReseedPolicy) {
  Csprng r;
  ASSERT_TRUE(r.seed(B(seq(32))).ok());
  EXPECT_FALSE(r.needs_reseed());
  Vec big(Csprng::kReseedAfterBytes - 1);
  ASSERT_TRUE(r.generate(M(big)).ok());
  EXPECT_FALSE(r.needs_reseed());
  Vec one(1);
  ASSERT_TRUE(r.generate(M(one)).ok());
  EXPECT_TRUE(r.needs_reseed());
  EXPECT_EQ(r.bytes_since_reseed(), Csprng::kReseedAfterBytes);
  // A short top-up mixes in but is not a full reseed.
  ASSERT_TRUE(r.seed(B(seq(8))).ok());
  EXPECT_TRUE(r.needs_reseed());
  ASSERT_TRUE(r.seed(B(seq(32))).ok());
  EXPECT_FALSE(r.needs_reseed());
  EXPECT_EQ(r.bytes_since_reseed(), 0u);

  // The call count triggers on its own, with tiny requests.
  for (uint64_t i = 0; i + 1 < Csprng::kReseedAfterCalls; ++i) ASSERT_TRUE(r.generate(M(one)).ok());
  EXPECT_FALSE(r.needs_reseed());
  ASSERT_TRUE(r.generate(M(one)).ok());
  EXPECT_TRUE(r.needs_reseed());
  EXPECT_EQ(r.calls_since_reseed(), Csprng::kReseedAfterCalls);
}

TEST(Csprng, LargeRequestMatchesModelAndFillsEverything) {
  Csprng r;
  Model m;
  ASSERT_TRUE(r.seed(B(seq(48))).ok());
  m.mix(seq(48));
  const size_t n = (size_t{1} << 20) + 7;
  Vec out(n, 0);
  ASSERT_TRUE(r.generate(M(out)).ok());
  EXPECT_EQ(out, m.gen(n));
  // No all-zero 64-byte stretch (would mean a batch was skipped).
  for (size_t i = 0; i + 64 <= n; i += 64) ASSERT_NE(out[i] | out[i + 1] | out[i + 2] | out[i + 3], 0) << i;
  EXPECT_EQ(r.bytes_since_reseed(), n);
  EXPECT_EQ(r.calls_since_reseed(), 1u);
}

TEST(Csprng, StatisticalSanity1MiB) {
  Csprng r;
  ASSERT_TRUE(r.seed(B(seq(32, 42))).ok());
  // Served the way EntropySource serves it: kMaxRequestBytes at a time.
  const size_t n = size_t{1} << 20;
  Vec out(n);
  for (size_t off = 0; off < n; off += Csprng::kMaxRequestBytes)
    ASSERT_TRUE(r.generate(capos::MutBytes(out.data() + off, Csprng::kMaxRequestBytes)).ok());
  uint64_t ones = 0, hist[256] = {};
  for (uint8_t b : out) {
    ones += static_cast<uint64_t>(__builtin_popcount(b));
    ++hist[b];
  }
  // Bits: mean 4 Mi, sigma = sqrt(8 Mi / 4) ~ 1448; allow 6 sigma.
  const double bits = 8.0 * n, sigma = std::sqrt(bits / 4);
  EXPECT_LT(std::fabs(static_cast<double>(ones) - bits / 2), 6 * sigma);
  // Byte histogram chi-square, 255 degrees of freedom (mean 255, sd ~22.6).
  double chi = 0, expect = n / 256.0;
  for (uint64_t h : hist) chi += (h - expect) * (h - expect) / expect;
  EXPECT_GT(chi, 255 - 6 * 22.6);
  EXPECT_LT(chi, 255 + 6 * 22.6);
}

}  // namespace
