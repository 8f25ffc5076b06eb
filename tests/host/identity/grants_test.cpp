// The shell's launch grammar (user/shell/grants.h): accepted forms and
// errors with their columns.
#include <gtest/gtest.h>

#include <string>

#include "user/shell/grants.h"

namespace capos::shell {
namespace {

std::string s(StrView v) { return std::string(v.ptr, v.size()); }

TEST(Grants, RunWithStdioAndCap) {
  auto r = parse_launch(StrView("run \"demo\" with { stdio: client @stdio, timer: @timer }"));
  ASSERT_TRUE(r);
  EXPECT_EQ(s(r->command), "run");
  EXPECT_EQ(s(r->binary), "demo");
  ASSERT_EQ(r->n_grants, 2u);
  EXPECT_EQ(s(r->grants[0].child), "stdio");
  EXPECT_EQ(s(r->grants[0].source), "stdio");
  EXPECT_TRUE(r->grants[0].client);
  EXPECT_EQ(s(r->grants[1].child), "timer");
  EXPECT_FALSE(r->grants[1].client);
}

TEST(Grants, OptionalWithEmptyBracesTrailingCommaAndSpacing) {
  EXPECT_TRUE(parse_launch(StrView("spawn \"demo\"")));
  EXPECT_TRUE(parse_launch(StrView("spawn \"demo\"   ")));
  EXPECT_TRUE(parse_launch(StrView("spawn \"demo\" with {}")));
  EXPECT_TRUE(parse_launch(StrView("spawn \"demo\" with{a:@b,}")));
  auto r = parse_launch(StrView("  run  \"x.y-z_1\"  with  {  a :  @b  ,  c : client   @d  }  "));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->n_grants, 2u);
  EXPECT_TRUE(r->grants[1].client);
}

struct Bad {
  const char* line;
  size_t column;
  const char* message_part;
};

TEST(Grants, ErrorsPointAtTheColumn) {
  const Bad cases[] = {
      {"run demo", 5, "quoted"},
      {"run \"demo", 10, "closing"},
      {"run \"\"", 6, "binary name"},
      {"run \"demo\"with {}", 11, "space"},
      {"run \"demo\" wiht {}", 12, "with"},
      {"run \"demo\" with a", 17, "'{'"},
      {"run \"demo\" with { a @b }", 21, "':'"},
      {"run \"demo\" with { a: b }", 22, "'@name'"},
      {"run \"demo\" with { a: @ }", 23, "capability name"},
      {"run \"demo\" with { a: @b c: @d }", 25, "',' or '}'"},
      {"run \"demo\" with { a: @b, a: @c }", 26, "twice"},
      {"run \"demo\" with { a: @b", 24, "'}'"},
      {"run \"demo\" with { a: @b } x", 27, "after '}'"},
      {"run \"demo\" with { a: client@b }", 28, "space after `client`"},
      {"jump \"demo\"", 1, "`run` or `spawn`"},
      {"run \"demo\" with { : @b }", 19, "grant name"},
  };
  for (const Bad& b : cases) {
    auto r = parse_launch(StrView(b.line));
    ASSERT_FALSE(r) << b.line;
    EXPECT_EQ(r.error().column, b.column) << b.line << ": " << r.error().message;
    EXPECT_NE(std::string(r.error().message).find(b.message_part), std::string::npos)
        << b.line << ": " << r.error().message;
  }
}

TEST(Grants, ChildLocalKinds) {
  auto r = parse_launch(StrView("run \"threads_demo\" with { stdio: client @stdio, threads: new threadSpawner }"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->n_grants, 2u);
  EXPECT_EQ(s(r->grants[1].local_kind), "threadSpawner");
  EXPECT_TRUE(r->grants[1].source.empty());
  auto bad = parse_launch(StrView("run \"d\" with { t: new }"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().column, 23u);
  auto bad2 = parse_launch(StrView("run \"d\" with { t: newt }"));
  ASSERT_FALSE(bad2);
  EXPECT_EQ(bad2.error().column, 19u);
}

TEST(Grants, LimitsAndNameLengths) {
  std::string line = "run \"demo\" with {";
  for (int i = 0; i < 17; ++i) line += " g" + std::to_string(i) + ": @x,";
  line += " }";
  auto r = parse_launch(StrView(line.c_str()));
  ASSERT_FALSE(r);
  EXPECT_NE(std::string(r.error().message).find("16"), std::string::npos);
  std::string long_name(33, 'a');
  EXPECT_FALSE(parse_launch(StrView(("run \"" + long_name + "\"").c_str())));
  EXPECT_FALSE(parse_launch(StrView(("run \"d\" with { " + long_name + ": @x }").c_str())));
}

TEST(Grants, DirectoryGrantsOnlyDescend) {
  auto r = parse_launch(StrView("run \"dirgrant\" with { home: @home/users/alice, pub: ro @home/users/alice/public, all: ro @home }"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->n_grants, 3u);
  EXPECT_EQ(s(r->grants[0].source), "home");
  EXPECT_EQ(s(r->grants[0].path), "users/alice");
  EXPECT_FALSE(r->grants[0].read_only);
  EXPECT_EQ(s(r->grants[1].path), "users/alice/public");
  EXPECT_TRUE(r->grants[1].read_only);
  EXPECT_EQ(s(r->grants[2].path), "");
  EXPECT_TRUE(r->grants[2].read_only);
  struct {
    const char* line;
    size_t column;
    const char* message;
  } bad[] = {
      {"run \"d\" with { h: @home/.. }", 25, "a directory grant only descends: no '.' or '..'"},
      {"run \"d\" with { h: @home/a/./b }", 27, "a directory grant only descends: no '.' or '..'"},
      {"run \"d\" with { h: @home//a }", 25, "expected a directory name after '/'"},
      {"run \"d\" with { h: @home/ }", 25, "expected a directory name after '/'"},
      {"run \"d\" with { h: @/users }", 20, "expected a capability name after '@'"},
      {"run \"d\" with { h: @home/1/2/3/4/5/6/7/8/9 }", 41, "at most 8 directory names"},
      {"run \"d\" with { h: client @home/a }", 31, "`client` passes an endpoint, not a directory"},
      {"run \"d\" with { h: ro@home }", 21, "expected a space after `ro`"},
  };
  for (const auto& b : bad) {
    auto e = parse_launch(StrView(b.line));
    ASSERT_FALSE(e) << b.line;
    EXPECT_EQ(e.error().column, b.column) << b.line;
    EXPECT_STREQ(e.error().message, b.message) << b.line;
  }
}

TEST(Grants, QuotedArgumentsBeforeWith) {
  auto r = parse_launch(StrView("run \"lua\" \"t.lua\" \"two words\" \"\" with { console: @console }"));
  ASSERT_TRUE(r);
  EXPECT_EQ(s(r->binary), "lua");
  ASSERT_EQ(r->n_args, 3u);
  EXPECT_EQ(s(r->args[0]), "t.lua");
  EXPECT_EQ(s(r->args[1]), "two words");
  EXPECT_EQ(s(r->args[2]), "");
  EXPECT_EQ(r->n_grants, 1u);
  auto bare = parse_launch(StrView("spawn \"cprog\" \"-v\"  "));
  ASSERT_TRUE(bare);
  ASSERT_EQ(bare->n_args, 1u);
  EXPECT_EQ(s(bare->args[0]), "-v");
  EXPECT_EQ(parse_launch(StrView("run \"demo\""))->n_args, 0u);
}

TEST(Grants, BadArgumentsPointAtTheColumn) {
  const Bad cases[] = {
      {"run \"lua\" \"t.lua", 11, "no closing"},
      {"run \"lua\" \"a\"\"b\"", 14, "space"},
      {"run \"lua\" \"a\tb\"", 13, "printable"},
      {"run \"lua\" \"a\" witH {}", 15, "quoted argument"},
  };
  for (const Bad& b : cases) {
    auto r = parse_launch(StrView(b.line));
    ASSERT_FALSE(r) << b.line;
    EXPECT_EQ(r.error().column, b.column) << b.line << ": " << r.error().message;
    EXPECT_NE(std::string(r.error().message).find(b.message_part), std::string::npos)
        << b.line << ": " << r.error().message;
  }
  std::string many = "run \"lua\"";
  for (int i = 0; i < 16; ++i) many += " \"a\"";
  auto m = parse_launch(StrView(many.c_str()));
  ASSERT_FALSE(m);
  EXPECT_NE(std::string(m.error().message).find("15"), std::string::npos);
  std::string long_arg = "run \"lua\" \"" + std::string(129, 'x') + "\"";
  auto l = parse_launch(StrView(long_arg.c_str()));
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().column, 12u);
  std::string max_arg = "run \"lua\" \"" + std::string(128, 'x') + "\"";
  EXPECT_TRUE(parse_launch(StrView(max_arg.c_str())));
}

TEST(Grants, DetectsTheQuotedForm) {
  EXPECT_TRUE(is_launch_syntax(StrView("run \"demo\"")));
  EXPECT_TRUE(is_launch_syntax(StrView("  spawn   \"demo\" with {}")));
  EXPECT_FALSE(is_launch_syntax(StrView("spawn demo console")));
  EXPECT_FALSE(is_launch_syntax(StrView("spawn")));
}

}  // namespace
}  // namespace capos::shell
