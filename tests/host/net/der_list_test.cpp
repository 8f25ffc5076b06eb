// tlsd's splitter of concatenated DER certificates (user/tls/der_list.h):
// the trust store and chain blobs from the manifest.
#include "user/tls/der_list.h"

#include <gtest/gtest.h>

#include <vector>

namespace capos::tls {
namespace {

std::vector<size_t> split(std::vector<uint8_t> der, Err* err = nullptr) {
  std::vector<size_t> sizes;
  auto st = der_for_each(Bytes(der.data(), der.size()), [&](Bytes c) -> Status {
    sizes.push_back(c.size());
    return {};
  });
  if (!st.ok() && err) *err = st.error();
  if (!st.ok()) sizes.push_back(0);
  return sizes;
}

TEST(TlsDerList, ShortAndLongFormLengths) {
  std::vector<uint8_t> der = {0x30, 0x02, 0xAA, 0xBB};
  std::vector<uint8_t> big(3 + 0x80 + 4, 0x55);
  big[0] = 0x30;
  big[1] = 0x81;
  big[2] = 0x80;
  der.insert(der.end(), big.begin(), big.begin() + 3 + 0x80);
  EXPECT_EQ(split(der), (std::vector<size_t>{4, 3 + 0x80}));
}

TEST(TlsDerList, TwoByteLength) {
  std::vector<uint8_t> der(4 + 0x123, 0);
  der[0] = 0x30;
  der[1] = 0x82;
  der[2] = 0x01;
  der[3] = 0x23;
  EXPECT_EQ(split(der), (std::vector<size_t>{4 + 0x123}));
}

TEST(TlsDerList, MalformedIsRefusedAfterTheGoodPrefix) {
  Err e = Err::Failed;
  // Second element is not a SEQUENCE.
  EXPECT_EQ(split({0x30, 0x00, 0x31, 0x00}, &e), (std::vector<size_t>{2, 0}));
  EXPECT_EQ(e, Err::Corrupt);
  // Runs past the end.
  EXPECT_EQ(split({0x30, 0x05, 0x01}, &e), (std::vector<size_t>{0}));
  EXPECT_EQ(e, Err::Truncated);
  // Indefinite length, 5 length bytes, a leading zero, long form for a short length.
  for (std::vector<uint8_t> bad : {std::vector<uint8_t>{0x30, 0x80, 0x00, 0x00}, {0x30, 0x85, 1, 0, 0, 0, 0},
                                   {0x30, 0x82, 0x00, 0x90}, {0x30, 0x81, 0x10}}) {
    e = Err::Failed;
    EXPECT_EQ(split(bad, &e), (std::vector<size_t>{0}));
    EXPECT_EQ(e, Err::Corrupt);
  }
  // Empty blob and a lone byte.
  EXPECT_EQ(split({}, &e), (std::vector<size_t>{0}));
  EXPECT_EQ(e, Err::Truncated);
  EXPECT_EQ(split({0x30}, &e), (std::vector<size_t>{0}));
  EXPECT_EQ(e, Err::Truncated);
}

TEST(TlsDerList, CallbackErrorStops) {
  std::vector<uint8_t> der = {0x30, 0x00, 0x30, 0x00, 0x30, 0x00};
  int calls = 0;
  auto st = der_for_each(Bytes(der.data(), der.size()), [&](Bytes) -> Status {
    return ++calls == 2 ? Status(fail(Err::Corrupt)) : Status();
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace capos::tls
