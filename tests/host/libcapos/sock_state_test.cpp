// The socket layer's pure decisions (user/libc/os/sock_state.h): every
// (state, call) pair against POSIX's errno, sockaddr_in in and out with
// truncation, service strings.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "user/libc/os/sock_state.h"

namespace capos::libc {
namespace {

constexpr int kOk = 0;

TEST(SockState, EveryCallInEveryState) {
  using S = SockState;
  using O = SockOp;
  const S states[] = {S::Fresh, S::Bound, S::Listening, S::Connected};
  const O ops[] = {O::Bind, O::Listen, O::Connect, O::Accept, O::Transfer, O::Shutdown, O::PeerName};
  // expected[state][op]: kOk or the errno.
  const int expected[4][7] = {
      /* Fresh     */ {kOk, CAPOS_EDESTADDRREQ, kOk, CAPOS_EINVAL, CAPOS_ENOTCONN, CAPOS_ENOTCONN, CAPOS_ENOTCONN},
      /* Bound     */ {CAPOS_EINVAL, kOk, kOk, CAPOS_EINVAL, CAPOS_ENOTCONN, CAPOS_ENOTCONN, CAPOS_ENOTCONN},
      /* Listening */ {CAPOS_EINVAL, kOk, CAPOS_EOPNOTSUPP, kOk, CAPOS_ENOTCONN, CAPOS_ENOTCONN, CAPOS_ENOTCONN},
      /* Connected */ {CAPOS_EINVAL, CAPOS_EINVAL, CAPOS_EISCONN, CAPOS_EINVAL, kOk, kOk, kOk},
  };
  const S next_ok[4][7] = {
      {S::Bound, S::Fresh, S::Connected, S::Fresh, S::Fresh, S::Fresh, S::Fresh},
      {S::Bound, S::Listening, S::Connected, S::Bound, S::Bound, S::Bound, S::Bound},
      {S::Listening, S::Listening, S::Listening, S::Listening, S::Listening, S::Listening, S::Listening},
      {S::Connected, S::Connected, S::Connected, S::Connected, S::Connected, S::Connected, S::Connected},
  };
  for (int s = 0; s < 4; ++s) {
    for (int o = 0; o < 7; ++o) {
      auto r = sock_next(states[s], ops[o]);
      if (expected[s][o] == kOk) {
        ASSERT_TRUE(r) << "state " << s << " op " << o;
        EXPECT_EQ(*r, next_ok[s][o]) << "state " << s << " op " << o;
      } else {
        ASSERT_FALSE(r) << "state " << s << " op " << o;
        EXPECT_EQ(r.error(), expected[s][o]) << "state " << s << " op " << o;
      }
    }
  }
}

// The layout the C side sees is the one decode/encode assume (the host's
// struct sockaddr_in has the same: family, port, address, zero).
TEST(SockState, SockaddrInRoundTrip) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(8080);
  sin.sin_addr.s_addr = htonl(0x0A000264);  // 10.0.2.100
  auto a = decode_sockaddr_in(&sin, sizeof sin);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->addr, 0x0A000264u);
  EXPECT_EQ(a->port, 8080);

  sockaddr_in out;
  std::memset(&out, 0xAB, sizeof out);
  uint32_t len = sizeof out;
  encode_sockaddr_in(*a, &out, &len);
  EXPECT_EQ(len, sizeof out);
  EXPECT_EQ(out.sin_family, AF_INET);
  EXPECT_EQ(ntohs(out.sin_port), 8080);
  EXPECT_EQ(ntohl(out.sin_addr.s_addr), 0x0A000264u);
  for (unsigned char z : out.sin_zero) EXPECT_EQ(z, 0);
}

TEST(SockState, BadSockaddrs) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  auto short_len = decode_sockaddr_in(&sin, sizeof sin - 1);
  ASSERT_FALSE(short_len);
  EXPECT_EQ(short_len.error(), CAPOS_EINVAL);
  auto null = decode_sockaddr_in(nullptr, sizeof sin);
  ASSERT_FALSE(null);
  EXPECT_EQ(null.error(), CAPOS_EINVAL);
  sin.sin_family = 10;  // AF_INET6
  auto v6 = decode_sockaddr_in(&sin, sizeof sin);
  ASSERT_FALSE(v6);
  EXPECT_EQ(v6.error(), CAPOS_EAFNOSUPPORT);
}

TEST(SockState, EncodeTruncatesToTheCallersLength) {
  unsigned char buf[16];
  std::memset(buf, 0xAB, sizeof buf);
  uint32_t len = 4;
  encode_sockaddr_in(Inet4{0x01020304, 0x1234}, buf, &len);
  EXPECT_EQ(len, kSockaddrInLen);  // the full size, as POSIX says
  EXPECT_EQ(buf[2], 0x12);
  EXPECT_EQ(buf[3], 0x34);
  EXPECT_EQ(buf[4], 0xAB);  // nothing past the caller's 4 bytes
  len = 0;
  encode_sockaddr_in(Inet4{}, nullptr, &len);
  EXPECT_EQ(len, kSockaddrInLen);
}

TEST(SockState, Services) {
  EXPECT_EQ(*parse_service("0"), 0);
  EXPECT_EQ(*parse_service("80"), 80);
  EXPECT_EQ(*parse_service("65535"), 65535);
  for (const char* bad : {"", "65536", "99999", "123456", "http", "8o", "-1", " 80"}) {
    auto r = parse_service(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error(), CAPOS_EINVAL) << bad;
  }
  EXPECT_FALSE(parse_service(nullptr));
}

}  // namespace
}  // namespace capos::libc
