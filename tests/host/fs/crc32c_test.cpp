// lib/fs's CRC-32C (the CPU's CRC32 instruction, or slicing by 8): published check values, and equality
// with a bit-at-a-time reference for every length, alignment and chained
// split, so the table-driven fast path cannot drift from the definition.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "lib/fs/format.h"

namespace capos::fs {
namespace {

uint32_t reference(const uint8_t* p, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
  }
  return ~crc;
}

TEST(Crc32c, PublishedVectors) {
  const char* check = "123456789";
  EXPECT_EQ(crc32c(Bytes(reinterpret_cast<const uint8_t*>(check), 9)), 0xE3069283u);
  uint8_t zeros[32] = {}, ones[32];
  std::memset(ones, 0xff, sizeof(ones));
  EXPECT_EQ(crc32c(Bytes(zeros, 32)), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(crc32c(Bytes(ones, 32)), 0x62A8AB43u);
  uint8_t inc[32];
  for (int i = 0; i < 32; ++i) inc[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(crc32c(Bytes(inc, 32)), 0x46DD794Eu);
  EXPECT_EQ(crc32c(Bytes()), 0u);
  EXPECT_EQ(crc32c_portable(Bytes(reinterpret_cast<const uint8_t*>(check), 9)), 0xE3069283u);
  EXPECT_EQ(crc32c_portable(Bytes(inc, 32)), 0x46DD794Eu);
}

// Both paths: crc32c (the CPU's CRC32 instruction where it has one) and
// crc32c_portable (the slicing-by-8 tables).
TEST(Crc32c, MatchesBitwiseReferenceAtEveryLengthAndAlignment) {
  std::mt19937 rng(18);
  std::vector<uint8_t> buf(4096 + 16);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  for (size_t off = 0; off < 8; ++off)
    for (size_t len = 0; len <= 300; ++len) {
      uint32_t want = reference(buf.data() + off, len);
      ASSERT_EQ(crc32c(Bytes(buf.data() + off, len)), want) << off << " " << len;
      ASSERT_EQ(crc32c_portable(Bytes(buf.data() + off, len)), want) << off << " " << len;
    }
  EXPECT_EQ(crc32c(Bytes(buf.data() + 3, 4096)), reference(buf.data() + 3, 4096));
  EXPECT_EQ(crc32c_portable(Bytes(buf.data() + 3, 4096)), reference(buf.data() + 3, 4096));
}

TEST(Crc32c, ChainsAcrossSplits) {
  std::mt19937 rng(7);
  std::vector<uint8_t> buf(1000);
  for (auto& b : buf) b = static_cast<uint8_t>(rng());
  uint32_t whole = crc32c(Bytes(buf.data(), buf.size()));
  for (size_t cut = 0; cut <= buf.size(); cut += 37) {
    EXPECT_EQ(crc32c(Bytes(buf.data() + cut, buf.size() - cut), crc32c(Bytes(buf.data(), cut))), whole) << cut;
    EXPECT_EQ(crc32c_portable(Bytes(buf.data() + cut, buf.size() - cut), crc32c_portable(Bytes(buf.data(), cut))),
              whole)
        << cut;
  }
}

}  // namespace
}  // namespace capos::fs
