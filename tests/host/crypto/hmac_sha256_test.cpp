// HMAC-SHA256 against RFC 4231's test cases 1-4, 6 and 7 (case 5 is a
// truncated MAC), and the constant-time comparison.
#include <gtest/gtest.h>

#include <string>

#include "lib/crypto/hmac_sha256.h"

namespace capos::crypto {
namespace {

Bytes bytes(const std::string& s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

std::string mac_hex(const std::string& key, const std::string& data, size_t chunk = 0) {
  HmacSha256 h(bytes(key));
  if (!chunk) h.update(bytes(data));
  for (size_t at = 0; chunk && at < data.size(); at += chunk)
    h.update(bytes(data.substr(at, chunk)));
  uint8_t d[HmacSha256::kMacBytes];
  h.finish(d);
  std::string out;
  for (uint8_t b : d) {
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 15];
  }
  return out;
}

TEST(HmacSha256, Rfc4231Vectors) {
  EXPECT_EQ(mac_hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(mac_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(mac_hex(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string k4;
  for (int i = 1; i <= 25; ++i) k4 += static_cast<char>(i);
  EXPECT_EQ(mac_hex(k4, std::string(50, '\xcd')), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Keys longer than a block are hashed first.
  EXPECT_EQ(mac_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  const std::string d7 =
      "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
      "hashed before being used by the HMAC algorithm.";
  EXPECT_EQ(mac_hex(std::string(131, '\xaa'), d7), "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  for (size_t chunk : {1, 7, 64, 65}) EXPECT_EQ(mac_hex(std::string(131, '\xaa'), d7, chunk), mac_hex(std::string(131, '\xaa'), d7));
}

TEST(HmacSha256, ConstantTimeEquality) {
  EXPECT_TRUE(equal_constant_time(bytes("abcdef"), bytes("abcdef")));
  EXPECT_FALSE(equal_constant_time(bytes("abcdef"), bytes("abcdeg")));
  EXPECT_FALSE(equal_constant_time(bytes("xbcdef"), bytes("abcdef")));
  EXPECT_FALSE(equal_constant_time(bytes("abc"), bytes("abcdef")));
  EXPECT_TRUE(equal_constant_time(bytes(""), bytes("")));
}

}  // namespace
}  // namespace capos::crypto
