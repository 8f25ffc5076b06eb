// lib/net/grant_names: the scopes netd reads from manifest cap names.
#include <gtest/gtest.h>

#include <cstring>

#include "lib/net/grant_names.h"

namespace capos::net {
namespace {

Result<GrantScope> parse(GrantKind k, const char* s) { return parse_grant_name(k, s, strlen(s)); }

TEST(NetGrantNames, AcceptsEachForm) {
  auto l = parse(GrantKind::Listen, "listen-7-80");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->first, 7);
  EXPECT_EQ(l->last, 80);
  auto c = parse(GrantKind::Connect, "connect-10.0.2.0-24-1-65535");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->network, ip4(10, 0, 2, 0));
  EXPECT_EQ(c->prefix, 24);
  EXPECT_EQ(c->last, 65535);
  auto u = parse(GrantKind::Udp, "udp-5000-10.0.2.2-32-53-53");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 5000);
  EXPECT_EQ(u->network, ip4(10, 0, 2, 2));
  EXPECT_EQ(u->first, 53);
  auto any = parse(GrantKind::Connect, "connect-0.0.0.0-0-80-80");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->prefix, 0);
}

TEST(NetGrantNames, RefusesMalformedScopes) {
  for (const char* bad : {"listen-", "listen-7", "listen-80-7", "listen-0-7", "listen-7-65536", "listen-7-8x",
                          "listen-007-8-", "listen-1-2-3", "connect-10.0.2.1-24-1-2", "connect-10.0.2.0-33-1-2",
                          "connect-10.0.2-24-1-2", "connect-10.0.2.0--1-2", "udp-0-10.0.2.2-32-1-2",
                          "udp-5000-10.0.2.2-32-2-1", "connect-10.0.2.0-24-1-2 "}) {
    GrantKind k = bad[0] == 'l' ? GrantKind::Listen : bad[0] == 'c' ? GrantKind::Connect : GrantKind::Udp;
    EXPECT_EQ(parse(k, bad).error(), Err::InvalidArgument) << bad;
  }
  EXPECT_FALSE(parse(GrantKind::Connect, "listen-7-7").ok());  // the kind must match the name
}

}  // namespace
}  // namespace capos::net
