// ChaCha20 against RFC 8439: §2.3.2 block, §2.4.2 encryption, Appendix A.1
// keystream vectors; plus stream-splitting and counter-limit behaviour.
#include "lib/crypto/chacha20.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::vector<uint8_t> hex(const char* s) {
  std::vector<uint8_t> out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
  for (; s[0] && s[1]; s += 2) {
    while (*s == ' ') ++s;
    out.push_back(static_cast<uint8_t>(nib(s[0]) << 4 | nib(s[1])));
  }
  return out;
}

std::vector<uint8_t> seq_key() {
  std::vector<uint8_t> k(32);
  for (int i = 0; i < 32; ++i) k[i] = static_cast<uint8_t>(i);
  return k;
}

TEST(ChaCha20, Rfc8439Section232Block) {
  auto key = seq_key();
  auto nonce = hex("000000090000004a00000000");
  uint8_t out[64];
  capos::chacha20_block(key.data(), 1, nonce.data(), out);
  auto want = hex(
      "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
      "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
  EXPECT_EQ(std::vector<uint8_t>(out, out + 64), want);
}

const char kSunscreen[] =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
    "sunscreen would be it.";
const char kSunscreenCipher[] =
    "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
    "f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
    "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
    "5af90bbf74a35be6b40b8eedf2785e42874d";

TEST(ChaCha20, Rfc8439Section242Encryption) {
  auto key = seq_key();
  auto nonce = hex("000000000000004a00000000");
  std::vector<uint8_t> pt(kSunscreen, kSunscreen + sizeof kSunscreen - 1);
  ASSERT_EQ(pt.size(), 114u);
  std::vector<uint8_t> ct(pt.size());
  ASSERT_TRUE(capos::chacha20_xor(key.data(), nonce.data(), 1, capos::Bytes(pt.data(), pt.size()),
                                  capos::MutBytes(ct.data(), ct.size())).ok());
  EXPECT_EQ(ct, hex(kSunscreenCipher));
  // Decrypt in place.
  ASSERT_TRUE(capos::chacha20_xor(key.data(), nonce.data(), 1, capos::Bytes(ct.data(), ct.size()),
                                  capos::MutBytes(ct.data(), ct.size())).ok());
  EXPECT_EQ(ct, pt);
}

struct KeystreamVector {
  const char* key;
  const char* nonce;
  uint32_t counter;
  const char* keystream;
};

// RFC 8439 Appendix A.1, test vectors #1-#5 (reproduced exactly).
const KeystreamVector kA1[] = {
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", 0,
     "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
     "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", 1,
     "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
     "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"},
    {"0000000000000000000000000000000000000000000000000000000000000001", "000000000000000000000000", 1,
     "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a"
     "8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0"},
    {"00ff000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", 2,
     "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca"
     "13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096"},
    {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000002", 0,
     "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7"
     "8a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d"},
};

TEST(ChaCha20, Rfc8439AppendixA1Keystreams) {
  for (const auto& v : kA1) {
    auto key = hex(v.key), nonce = hex(v.nonce), want = hex(v.keystream);
    uint8_t block[64];
    capos::chacha20_block(key.data(), v.counter, nonce.data(), block);
    EXPECT_EQ(std::vector<uint8_t>(block, block + 64), want) << v.keystream;
    std::vector<uint8_t> ks(64);
    ASSERT_TRUE(capos::chacha20_keystream(key.data(), nonce.data(), v.counter,
                                          capos::MutBytes(ks.data(), ks.size())).ok());
    EXPECT_EQ(ks, want);
  }
}

// The incremental stream must equal the one-shot stream however the
// request is cut (partial blocks, block-aligned and odd sizes).
TEST(ChaCha20, IncrementalMatchesOneShot) {
  auto key = seq_key();
  auto nonce = hex("000000000000004a00000000");
  std::vector<uint8_t> whole(1000);
  ASSERT_TRUE(capos::chacha20_keystream(key.data(), nonce.data(), 7, capos::MutBytes(whole.data(), 1000)).ok());
  const size_t cuts[] = {1, 63, 64, 65, 0, 3, 128, 200, 5, 471};
  capos::ChaCha20 c(key.data(), nonce.data(), 7);
  std::vector<uint8_t> got;
  for (size_t n : cuts) {
    std::vector<uint8_t> part(n);
    ASSERT_TRUE(c.keystream(capos::MutBytes(part.data(), n)).ok());
    got.insert(got.end(), part.begin(), part.end());
  }
  ASSERT_EQ(got.size(), 1000u);
  EXPECT_EQ(got, whole);
}

TEST(ChaCha20, IncrementalEncryptionMatchesVector) {
  auto key = seq_key();
  auto nonce = hex("000000000000004a00000000");
  capos::ChaCha20 c(key.data(), nonce.data(), 1);
  std::vector<uint8_t> pt(kSunscreen, kSunscreen + 114), ct(114);
  ASSERT_TRUE(c.apply(capos::Bytes(pt.data(), 10), capos::MutBytes(ct.data(), 10)).ok());
  ASSERT_TRUE(c.apply(capos::Bytes(pt.data() + 10, 104), capos::MutBytes(ct.data() + 10, 104)).ok());
  EXPECT_EQ(ct, hex(kSunscreenCipher));
}

TEST(ChaCha20, CounterLimit) {
  uint8_t key[32] = {}, nonce[12] = {};
  std::vector<uint8_t> buf(129, 0xaa);
  // Counter 2^32-1 allows exactly one more block.
  EXPECT_TRUE(capos::chacha20_keystream(key, nonce, 0xffffffffu, capos::MutBytes(buf.data(), 64)).ok());
  std::vector<uint8_t> before = buf;
  EXPECT_EQ(capos::chacha20_keystream(key, nonce, 0xffffffffu, capos::MutBytes(buf.data(), 65)).error(),
            capos::Err::LimitExceeded);
  EXPECT_EQ(buf, before);  // nothing written on failure

  capos::ChaCha20 c(key, nonce, 0xfffffffeu);
  EXPECT_TRUE(c.keystream(capos::MutBytes(buf.data(), 100)).ok());  // 2 blocks, 28 bytes buffered
  EXPECT_TRUE(c.keystream(capos::MutBytes(buf.data(), 28)).ok());   // drains the buffer
  EXPECT_EQ(c.keystream(capos::MutBytes(buf.data(), 1)).error(), capos::Err::LimitExceeded);
  EXPECT_TRUE(c.keystream(capos::MutBytes(buf.data(), 0)).ok());
}

TEST(ChaCha20, SizeMismatchRejected) {
  uint8_t key[32] = {}, nonce[12] = {}, a[8] = {}, b[9] = {};
  EXPECT_EQ(capos::chacha20_xor(key, nonce, 0, capos::Bytes(a, 8), capos::MutBytes(b, 9)).error(),
            capos::Err::InvalidArgument);
}

TEST(ChaCha20, SecureWipeZeroes) {
  uint8_t buf[40];
  memset(buf, 0x5a, sizeof buf);
  capos::secure_wipe(buf, sizeof buf);
  for (uint8_t b : buf) EXPECT_EQ(b, 0);
}

}  // namespace
