// The seed accounts file parser and the login rate limit
// (user/services/identity).
#include <gtest/gtest.h>

#include <string>

#include "user/services/identity/accounts.h"
#include "user/services/identity/rate_limit.h"

namespace capos::identity {
namespace {

const std::string kV = "$argon2id$v=19$m=12288,t=3,p=1$ZHVtbXlzYWx0ZHVtbXlzYWx0$K9+ygvtXz6eLtWV7PMgC3QMxMDIzG/3Mp15D/eHzJ7g";

TEST(Accounts, ParsesCommentsBlankLinesAndProfiles) {
  std::string text = "# seed accounts\n\nop operator " + kV + "\nvisitor guest " + kV + "\n";
  AccountTable t;
  ParseError e{};
  ASSERT_TRUE(parse_accounts(StrView(text.data(), text.size()), t, &e));
  ASSERT_EQ(t.count, 2u);
  EXPECT_EQ(t.find("op")->profile, AccountProfile::Operator);
  EXPECT_EQ(t.find("visitor")->profile, AccountProfile::Guest);
  EXPECT_EQ(t.find("nobody"), nullptr);
}

TEST(Accounts, ABadLineRejectsTheWholeFile) {
  const std::string bad[] = {
      "op admin " + kV + "\n",
      "op operator hunter2\n",
      "op operator " + kV + " extra\n",
      "o!p operator " + kV + "\n",
      "ok operator " + kV + "\n",
      "op operator $argon2id$v=19$m=1048576,t=3,p=1$ZHVtbXlzYWx0ZHVtbXlzYWx0$K9+ygvtXz6eLtWV7PMgC3QMxMDIzG/3Mp15D/eHzJ7g\n",
  };
  for (const std::string& text : bad) {
    std::string full = "ok guest " + kV + "\n" + text;
    AccountTable t;
    ParseError e{};
    EXPECT_FALSE(parse_accounts(StrView(full.data(), full.size()), t, &e)) << text;
    EXPECT_EQ(t.count, 0u);
    EXPECT_EQ(e.line, 2u) << text;
  }
}

TEST(Accounts, TableLimitsAndDuplicates) {
  AccountTable t;
  for (size_t i = 0; i < kMaxAccounts; ++i)
    ASSERT_TRUE(t.add(StrView(("u" + std::to_string(i)).c_str()), AccountProfile::Guest, StrView(kV.c_str())));
  EXPECT_EQ(t.add("another", AccountProfile::Guest, StrView(kV.c_str())).error(), Err::LimitExceeded);
  AccountTable d;
  ASSERT_TRUE(d.add("a", AccountProfile::Guest, StrView(kV.c_str())));
  EXPECT_EQ(d.add("a", AccountProfile::Operator, StrView(kV.c_str())).error(), Err::AlreadyExists);
}

TEST(RateLimit, DoublesUpToTheCapAndResetsOnSuccess) {
  LoginRateLimit l;
  EXPECT_EQ(l.wait_before_check(5), 0u);
  uint64_t now = 1000;
  uint64_t expect = LoginRateLimit::kFirstDelayNs;
  for (int i = 0; i < 8; ++i) {
    uint64_t d = l.failure(now);
    EXPECT_EQ(d, expect) << i;
    EXPECT_EQ(l.wait_before_check(now), d);
    EXPECT_EQ(l.wait_before_check(now + d), 0u);
    expect = expect * 2 > LoginRateLimit::kMaxDelayNs ? LoginRateLimit::kMaxDelayNs : expect * 2;
  }
  l.success();
  EXPECT_EQ(l.wait_before_check(now), 0u);
  EXPECT_EQ(l.failure(now), LoginRateLimit::kFirstDelayNs);
}

}  // namespace
}  // namespace capos::identity
