#include "lib/crypto/siphash.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <utility>

namespace {

// Key 00 01 .. 0f as in the SipHash reference test vectors.
capos::SipKey ref_key() { return {0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull}; }

TEST(SipHash, ReferenceVectors64) {
  uint8_t msg[64];
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(capos::siphash24(ref_key(), msg, 0), 0x726fdb47dd0e0e31ull);
  EXPECT_EQ(capos::siphash24(ref_key(), msg, 1), 0x74f839c593dc67fdull);
  EXPECT_EQ(capos::siphash24(ref_key(), msg, 15), 0xa129ca6149be45e5ull);  // paper's example
}

TEST(SipHash, ReferenceVector128Empty) {
  uint64_t out[2];
  capos::siphash24_128(ref_key(), nullptr, 0, out);
  // a3 81 7f 04 ba 25 a8 e6 | 6d f6 72 14 c7 55 02 93 (little endian)
  EXPECT_EQ(out[0], 0xe6a825ba047f81a3ull);
  EXPECT_EQ(out[1], 0x930255c71472f66dull);
}

TEST(SipHash, KeyAndInputSensitivity) {
  uint64_t a = 42, b = 43;
  capos::SipKey k1{1, 2}, k2{1, 3};
  EXPECT_NE(capos::siphash24(k1, &a, 8), capos::siphash24(k1, &b, 8));
  EXPECT_NE(capos::siphash24(k1, &a, 8), capos::siphash24(k2, &a, 8));
}

}  // namespace

// Sessions as servers see them: the same session is the same reference at
// one endpoint scope; different sessions, or different scopes, differ.
TEST(ScopedRef, SameSessionSameReferenceDifferentSessionsDiffer) {
  capos::SipKey key{0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull};
  uint64_t a1[2], a2[2], b[2], other_scope[2];
  capos::scoped_ref(key, 77, 1001, a1);
  capos::scoped_ref(key, 77, 1001, a2);
  capos::scoped_ref(key, 77, 1002, b);
  capos::scoped_ref(key, 78, 1001, other_scope);
  EXPECT_EQ(a1[0], a2[0]);
  EXPECT_EQ(a1[1], a2[1]);
  EXPECT_FALSE(a1[0] == b[0] && a1[1] == b[1]);
  EXPECT_FALSE(a1[0] == other_scope[0] && a1[1] == other_scope[1]);
  // Many sessions at one scope: no two references collide.
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (uint64_t s = 0; s < 10000; ++s) {
    uint64_t r[2];
    capos::scoped_ref(key, 77, s, r);
    EXPECT_TRUE(seen.insert({r[0], r[1]}).second);
  }
}
