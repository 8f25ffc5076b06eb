// SHA-256 against the FIPS 180-2 example vectors, and chunked updates
// against one-shot digests.
#include <gtest/gtest.h>

#include <string>

#include "lib/crypto/sha256.h"

namespace capos::crypto {
namespace {

std::string hex(const std::string& s, size_t repeat = 1, size_t chunk = 0) {
  Sha256 h;
  for (size_t r = 0; r < repeat; ++r) {
    if (!chunk) {
      h.update(Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
      continue;
    }
    for (size_t at = 0; at < s.size(); at += chunk)
      h.update(Bytes(reinterpret_cast<const uint8_t*>(s.data()) + at, std::min(chunk, s.size() - at)));
  }
  uint8_t d[32];
  h.finish(d);
  std::string out;
  for (uint8_t b : d) {
    out += "0123456789abcdef"[b >> 4];
    out += "0123456789abcdef"[b & 15];
  }
  return out;
}

TEST(Sha256, FipsVectors) {
  EXPECT_EQ(hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(std::string(1000, 'a'), 1000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(hex("hello"), "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
}

TEST(Sha256, ChunkingDoesNotMatter) {
  std::string s;
  for (int i = 0; i < 1000; ++i) s += static_cast<char>(i * 7);
  for (size_t chunk : {1, 3, 55, 56, 63, 64, 65, 127})
    EXPECT_EQ(hex(s, 1, chunk), hex(s)) << chunk;
}

}  // namespace
}  // namespace capos::crypto
