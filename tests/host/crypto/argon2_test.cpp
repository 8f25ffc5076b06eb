// lib/crypto/argon2 and blake2b against RFC 9106 / RFC 7693 vectors and
// against Debian's libargon2 (the reference implementation) on random
// inputs, plus the verifier encoding's strictness.
#include <argon2.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "lib/crypto/argon2.h"
#include "lib/crypto/blake2b.h"

namespace capos {
namespace {

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    char b[3];
    snprintf(b, sizeof(b), "%02x", p[i]);
    s += b;
  }
  return s;
}

TEST(Blake2b, Rfc7693Abc) {
  uint8_t out[64];
  blake2b(out, 64, "abc", 3);
  EXPECT_EQ(hex(out, 64),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
            "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923");
}

TEST(Blake2b, IncrementalEqualsOneShotAcrossBlockEdges) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  for (size_t len : {0u, 1u, 127u, 128u, 129u, 256u, 1000u}) {
    uint8_t a[64], b[64];
    blake2b(a, 64, data.data(), len);
    Blake2b h(64);
    for (size_t i = 0; i < len; i += 13) h.update(data.data() + i, std::min<size_t>(13, len - i));
    h.final(b);
    EXPECT_EQ(hex(a, 64), hex(b, 64)) << len;
  }
}

// RFC 9106 5.3: Argon2id, m=32, t=3, p=4, tag 32, P=32x01, S=16x02, K=8x03, X=12x04.
TEST(Argon2id, Rfc9106Vector) {
  std::vector<uint8_t> pw(32, 1), salt(16, 2), secret(8, 3), ad(12, 4);
  argon2::Params p{32, 3, 4};
  std::vector<uint8_t> work(argon2::work_bytes(p));
  uint8_t tag[32];
  argon2::Inputs in{Bytes(pw.data(), pw.size()), Bytes(salt.data(), salt.size()), Bytes(secret.data(), 8),
                    Bytes(ad.data(), 12)};
  ASSERT_TRUE(argon2::argon2id(p, in, MutBytes(tag, 32), MutBytes(work.data(), work.size())));
  EXPECT_EQ(hex(tag, 32), "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
}

TEST(Argon2id, MatchesLibargon2OnRandomInputs) {
  std::mt19937 rng(21);
  for (int round = 0; round < 12; ++round) {
    uint32_t lanes = 1 + rng() % 3;
    argon2::Params p{static_cast<uint32_t>(8 * lanes * (1 + rng() % 40)), static_cast<uint32_t>(1 + rng() % 3), lanes};
    std::vector<uint8_t> pw(rng() % 40), salt(8 + rng() % 24);
    for (auto& b : pw) b = static_cast<uint8_t>(rng());
    for (auto& b : salt) b = static_cast<uint8_t>(rng());
    size_t taglen = 4 + rng() % 100;
    std::vector<uint8_t> ours(taglen), ref(taglen), work(argon2::work_bytes(p));
    argon2::Inputs in{Bytes(pw.data(), pw.size()), Bytes(salt.data(), salt.size()), Bytes(), Bytes()};
    ASSERT_TRUE(argon2::argon2id(p, in, MutBytes(ours.data(), taglen), MutBytes(work.data(), work.size())));
    ASSERT_EQ(argon2id_hash_raw(p.t, p.m_kib, p.lanes, pw.data(), pw.size(), salt.data(), salt.size(), ref.data(),
                                taglen),
              ARGON2_OK);
    EXPECT_EQ(hex(ours.data(), taglen), hex(ref.data(), taglen)) << "round " << round << " m=" << p.m_kib
                                                                  << " t=" << p.t << " p=" << p.lanes;
  }
}

TEST(Argon2id, EncodedVerifierRoundTripsWithLibargon2) {
  const char pw[] = "correct horse battery staple";
  uint8_t salt[16];
  for (int i = 0; i < 16; ++i) salt[i] = static_cast<uint8_t>(i * 13 + 5);
  char encoded[256];
  ASSERT_EQ(argon2id_hash_encoded(2, 256, 1, pw, sizeof(pw) - 1, salt, 16, 32, encoded, sizeof(encoded)), ARGON2_OK);
  auto v = argon2::parse_verifier(StrView(encoded));
  ASSERT_TRUE(v);
  std::vector<uint8_t> work(argon2::work_bytes(v->params));
  MutBytes w(work.data(), work.size());
  EXPECT_TRUE(*argon2::verify(*v, Bytes(reinterpret_cast<const uint8_t*>(pw), sizeof(pw) - 1), w));
  EXPECT_FALSE(*argon2::verify(*v, Bytes(reinterpret_cast<const uint8_t*>(pw), sizeof(pw) - 2), w));
  uint8_t out[256];
  auto n = argon2::encode_verifier(*v, MutBytes(out, sizeof(out)));
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(out), *n), std::string(encoded));
  // And libargon2 accepts what we make.
  argon2::Verifier mine = *v;
  argon2::Inputs in{Bytes(reinterpret_cast<const uint8_t*>("pw2"), 3), Bytes(salt, 16), Bytes(), Bytes()};
  ASSERT_TRUE(argon2::argon2id(mine.params, in, MutBytes(mine.tag, 32), w));
  n = argon2::encode_verifier(mine, MutBytes(out, sizeof(out)));
  ASSERT_TRUE(n);
  std::string s(reinterpret_cast<char*>(out), *n);
  EXPECT_EQ(argon2id_verify(s.c_str(), "pw2", 3), ARGON2_OK);
}

TEST(Argon2id, RejectsMalformedVerifiers) {
  const char* bad[] = {
      "",
      "$argon2i$v=19$m=256,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g",
      "$argon2id$v=16$m=256,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=256,t=2$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=0256,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=256,t=0,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=4,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
      "$argon2id$v=19$m=256,t=2,p=1$c2Fsd$aGFzaA",           // salt under 8 bytes
      "$argon2id$v=19$m=256,t=2,p=1$c2FsdHNhbHQ$aGF",        // tag under 4 bytes
      "$argon2id$v=19$m=256,t=2,p=1$c2FsdHNhbHQ$aGFzaA=",    // padding
      "$argon2id$v=19$m=256,t=2,p=1$c2FsdHNhbHQ$aGFzaB",     // non-canonical trailing bits
      "$argon2id$v=19$m=256,t=2,p=1$c2FsdHNhbHQ",
      "$argon2id$v=19$m=99999999999,t=2,p=1$c2FsdHNhbHQ$aGFzaA",
  };
  for (const char* s : bad) EXPECT_FALSE(argon2::parse_verifier(StrView(s))) << s;
  EXPECT_TRUE(argon2::parse_verifier(StrView("$argon2id$v=19$m=256,t=2,p=1$c2FsdHNhbHQ$aGFzaA")));
}

TEST(Argon2id, RejectsBadParameters) {
  uint8_t tag[32], work[8 * 1024];
  uint8_t salt[16] = {};
  argon2::Inputs in{Bytes(), Bytes(salt, 16), Bytes(), Bytes()};
  EXPECT_FALSE(argon2::argon2id({8, 0, 1}, in, MutBytes(tag, 32), MutBytes(work, sizeof(work))));
  EXPECT_FALSE(argon2::argon2id({8, 1, 0}, in, MutBytes(tag, 32), MutBytes(work, sizeof(work))));
  EXPECT_FALSE(argon2::argon2id({16, 1, 1}, in, MutBytes(tag, 32), MutBytes(work, sizeof(work))));  // work too small
  argon2::Inputs short_salt{Bytes(), Bytes(salt, 7), Bytes(), Bytes()};
  EXPECT_FALSE(argon2::argon2id({8, 1, 1}, short_salt, MutBytes(tag, 32), MutBytes(work, sizeof(work))));
  EXPECT_TRUE(argon2::argon2id({8, 1, 1}, in, MutBytes(tag, 32), MutBytes(work, sizeof(work))));
}

}  // namespace
}  // namespace capos
