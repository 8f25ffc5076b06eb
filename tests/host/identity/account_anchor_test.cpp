// The account file's anchor (user/services/identity/account_anchor.h): the
// block round-trips, any changed bit or another key is refused, a blank
// device is generation 0; and the decision refuses exactly a missing file
// the anchor counts, an older (replayed) file and one too far ahead — a
// model of the store's commits checks every pairing.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "user/services/identity/account_anchor.h"

namespace capos::identity {
namespace {

std::vector<uint8_t> key(uint8_t seed) {
  std::vector<uint8_t> k(32);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i * 7);
  return k;
}
Bytes b(const std::vector<uint8_t>& v) { return Bytes(v.data(), v.size()); }

std::vector<uint8_t> block(uint64_t g, const std::vector<uint8_t>& k) {
  std::vector<uint8_t> out(kAnchorBlockBytes);
  EXPECT_TRUE(encode_anchor(g, b(k), MutBytes(out.data(), out.size())));
  return out;
}

TEST(AccountAnchor, RoundTripAndBlankIsZero) {
  auto k = key(3);
  for (uint64_t g : {uint64_t{1}, uint64_t{2}, uint64_t{0x0102030405060708}, ~uint64_t{0}}) {
    auto r = decode_anchor(b(block(g, k)), b(k));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, g);
  }
  std::vector<uint8_t> blank(kAnchorBlockBytes, 0);
  auto r = decode_anchor(b(blank), b(k));
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0u);
}

TEST(AccountAnchor, AnyFlippedBitOrAnotherKeyIsRefused) {
  auto k = key(3);
  auto good = block(5, k);
  for (size_t i = 0; i < good.size() * 8; ++i) {
    auto bad = good;
    bad[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    auto r = decode_anchor(b(bad), b(k));
    ASSERT_FALSE(r) << "bit " << i;
    EXPECT_EQ(r.error(), Err::Corrupt);
  }
  EXPECT_FALSE(decode_anchor(b(good), b(key(4))));
  std::vector<uint8_t> shorter(good.begin(), good.end() - 1);
  EXPECT_EQ(decode_anchor(b(shorter), b(k)).error(), Err::InvalidArgument);
  uint8_t out[kAnchorBlockBytes];
  EXPECT_FALSE(encode_anchor(1, Bytes(k.data(), 16), MutBytes(out, sizeof(out))));
}

TEST(AccountAnchor, DecisionTable) {
  EXPECT_EQ(*check_anchor(0, false, 0), AnchorVerdict::Fresh);
  EXPECT_EQ(*check_anchor(3, true, 3), AnchorVerdict::Current);
  EXPECT_EQ(*check_anchor(3, true, 4), AnchorVerdict::CatchUp);
  EXPECT_EQ(*check_anchor(0, true, 1), AnchorVerdict::CatchUp);
  EXPECT_FALSE(check_anchor(1, false, 0));  // deleted
  EXPECT_FALSE(check_anchor(3, true, 2));   // replayed
  EXPECT_FALSE(check_anchor(3, true, 5));   // not ours
  EXPECT_EQ(check_anchor(1, false, 0).error().code, Err::Stale);
}

// Model: the store commits the file (generation g) and then the anchor; a
// crash may fall between the two. The attacker keeps copies of every file
// the store ever wrote and may put back any one of them, or none. The
// store must accept exactly the newest file and nothing older or absent.
TEST(AccountAnchor, ModelOfCommitsCrashesAndReplays) {
  std::mt19937_64 rng(21);
  for (int round = 0; round < 2000; ++round) {
    uint64_t file = 0, anchor = 0;  // generations on the media (0: no file)
    int commits = static_cast<int>(rng() % 6);
    for (int i = 0; i < commits; ++i) {
      ++file;                       // the file commit
      if (rng() % 4) anchor = file;  // the anchor write, unless a crash came first
      else break;                   // the crash: the next start catches up
    }
    auto honest = check_anchor(anchor, file != 0, file);
    ASSERT_TRUE(honest) << "round " << round;
    EXPECT_EQ(*honest, file == 0 ? AnchorVerdict::Fresh : file == anchor ? AnchorVerdict::Current : AnchorVerdict::CatchUp);
    // Every older file (or none) the attacker puts back is refused, except
    // the anchor's own generation when a crash left the newest file
    // uncounted: the one-commit window a write-file-then-anchor order has.
    for (uint64_t old = 0; old < file; ++old) {
      auto r = check_anchor(anchor, old != 0, old);
      EXPECT_EQ(bool(r), old == anchor) << "round " << round << " old " << old;
    }
  }
}

}  // namespace
}  // namespace capos::identity
