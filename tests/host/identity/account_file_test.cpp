// The persistent account file (user/services/identity/account_file.h):
// round trip, and any change to any byte, a truncation, an extension or
// another key refuses the whole file.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "lib/crypto/hmac_sha256.h"
#include "user/services/identity/account_file.h"

namespace capos::identity {
namespace {

const std::string kV = "$argon2id$v=19$m=12288,t=3,p=1$ZHVtbXlzYWx0ZHVtbXlzYWx0$K9+ygvtXz6eLtWV7PMgC3QMxMDIzG/3Mp15D/eHzJ7g";

std::vector<uint8_t> key(uint8_t seed) {
  std::vector<uint8_t> k(kAccountKeyBytes);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i * 13);
  return k;
}

std::vector<uint8_t> sample(uint64_t generation, const std::vector<uint8_t>& k) {
  AccountTable t;
  EXPECT_TRUE(t.add("op", AccountProfile::Operator, StrView(kV.data(), kV.size())));
  EXPECT_TRUE(t.add("visitor", AccountProfile::Guest, StrView(kV.data(), kV.size())));
  std::vector<uint8_t> buf(kMaxAccountFile);
  auto n = encode_account_file(t, generation, Bytes(k.data(), k.size()), MutBytes(buf.data(), buf.size()));
  EXPECT_TRUE(n);
  buf.resize(n ? *n : 0);
  return buf;
}

FileResult<uint64_t> decode(const std::vector<uint8_t>& f, const std::vector<uint8_t>& k, AccountTable& t) {
  return decode_account_file(Bytes(f.data(), f.size()), Bytes(k.data(), k.size()), t);
}

TEST(AccountFile, RoundTrip) {
  auto k = key(1);
  auto f = sample(7, k);
  AccountTable t;
  auto g = decode(f, k, t);
  ASSERT_TRUE(g) << g.error().what;
  EXPECT_EQ(*g, 7u);
  ASSERT_EQ(t.count, 2u);
  EXPECT_EQ(t.find("op")->profile, AccountProfile::Operator);
  EXPECT_EQ(StrView(t.find("visitor")->verifier), StrView(kV.data(), kV.size()));
  // An empty store is a valid file too.
  std::vector<uint8_t> buf(kMaxAccountFile);
  auto n = encode_account_file(AccountTable{}, 1, Bytes(k.data(), k.size()), MutBytes(buf.data(), buf.size()));
  ASSERT_TRUE(n);
  buf.resize(*n);
  AccountTable e;
  ASSERT_TRUE(decode(buf, k, e));
  EXPECT_EQ(e.count, 0u);
}

TEST(AccountFile, EveryChangedBitIsRefused) {
  auto k = key(1);
  auto f = sample(3, k);
  for (size_t i = 0; i < f.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      auto g = f;
      g[i] ^= static_cast<uint8_t>(1u << bit);
      AccountTable t;
      auto r = decode(g, k, t);
      ASSERT_FALSE(r) << "byte " << i << " bit " << bit;
      EXPECT_EQ(r.error().code, Err::Corrupt);
      EXPECT_EQ(t.count, 0u);
    }
  }
}

TEST(AccountFile, TruncatedExtendedOrOtherKeyIsRefused) {
  auto k = key(1);
  auto f = sample(3, k);
  for (size_t len = 0; len < f.size(); ++len) {
    AccountTable t;
    EXPECT_FALSE(decode(std::vector<uint8_t>(f.begin(), f.begin() + static_cast<long>(len)), k, t)) << len;
  }
  auto longer = f;
  longer.push_back(0);
  AccountTable t;
  EXPECT_FALSE(decode(longer, k, t));
  auto r = decode(f, key(2), t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Err::Corrupt);
  EXPECT_EQ(t.count, 0u);
}

TEST(AccountFile, AValidMacOverABadBodyIsStillRefused) {
  // Whoever holds the key still cannot smuggle in plaintext or odd
  // parameters: the body goes through the strict seed parser.
  auto k = key(1);
  std::string body = "op operator hunter2\n";
  std::vector<uint8_t> f(kAccountHeaderBytes);
  const char magic[] = "capOSac1";
  memcpy(f.data(), magic, 8);
  f[8] = 1;
  f[12] = static_cast<uint8_t>(body.size());
  f.insert(f.end(), body.begin(), body.end());
  f.resize(f.size() + kAccountMacBytes);
  crypto::HmacSha256::mac(Bytes(k.data(), k.size()), Bytes(f.data(), f.size() - kAccountMacBytes),
                          f.data() + f.size() - kAccountMacBytes);
  AccountTable t;
  auto r = decode(f, k, t);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Err::InvalidArgument);
}

TEST(AccountFile, SmallBufferOrBadKeyIsAnError) {
  AccountTable t;
  ASSERT_TRUE(t.add("op", AccountProfile::Operator, StrView(kV.data(), kV.size())));
  auto k = key(1);
  uint8_t small[40];
  EXPECT_FALSE(encode_account_file(t, 1, Bytes(k.data(), k.size()), MutBytes(small, sizeof(small))));
  uint8_t buf[kMaxAccountFile];
  EXPECT_FALSE(encode_account_file(t, 1, Bytes(k.data(), 16), MutBytes(buf, sizeof(buf))));
}

}  // namespace
}  // namespace capos::identity
