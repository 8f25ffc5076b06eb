#include "lib/crypto/siphash.h"

#include <gtest/gtest.h>

#include <cstdint>

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
