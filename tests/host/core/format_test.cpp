#include "lib/core/format.h"

#include <gtest/gtest.h>

#include <string>

using capos::format_to;

namespace {

std::string fmt_str(const char* f, auto... args) {
  char buf[256];
  return std::string(format_to(buf, sizeof(buf), f, args...).ptr);
}

TEST(Format, Integers) {
  EXPECT_EQ(fmt_str("{}", 0), "0");
  EXPECT_EQ(fmt_str("{}", -42), "-42");
  EXPECT_EQ(fmt_str("{}", 18446744073709551615ull), "18446744073709551615");
  EXPECT_EQ(fmt_str("{}", INT64_MIN), "-9223372036854775808");
  EXPECT_EQ(fmt_str("{:x}", 0xdeadbeefu), "deadbeef");
  EXPECT_EQ(fmt_str("{:X}", 0xdeadbeefu), "DEADBEEF");
  EXPECT_EQ(fmt_str("{:#x}", 255), "0xff");
  EXPECT_EQ(fmt_str("{:#018x}", 0xffffffff80000000ull), "0xffffffff80000000");
  EXPECT_EQ(fmt_str("{:016x}", 0x1234u), "0000000000001234");
  EXPECT_EQ(fmt_str("{:b}", 5u), "101");
  EXPECT_EQ(fmt_str("{:x}", -1), "ffffffffffffffff");
}

TEST(Format, WidthAndAlign) {
  EXPECT_EQ(fmt_str("[{:5}]", 42), "[   42]");
  EXPECT_EQ(fmt_str("[{:<5}]", 42), "[42   ]");
  EXPECT_EQ(fmt_str("[{:6}]", "ab"), "[ab    ]");
  EXPECT_EQ(fmt_str("[{:>6}]", "ab"), "[    ab]");
  EXPECT_EQ(fmt_str("[{:*>6}]", "ab"), "[****ab]");
  EXPECT_EQ(fmt_str("[{:05}]", -7), "[-0007]");
}

TEST(Format, OtherKinds) {
  EXPECT_EQ(fmt_str("{} {}", true, false), "true false");
  EXPECT_EQ(fmt_str("{}", 'z'), "z");
  EXPECT_EQ(fmt_str("{}", static_cast<const char*>(nullptr)), "(null)");
  EXPECT_EQ(fmt_str("{}", reinterpret_cast<void*>(0x1000)), "0x1000");
  EXPECT_EQ(fmt_str("{}", capos::StrView("hello", 3)), "hel");
  enum class E : int { A = 3 };
  EXPECT_EQ(fmt_str("{}", E::A), "3");
}

TEST(Format, BracesAndErrors) {
  EXPECT_EQ(fmt_str("{{}}"), "{}");
  EXPECT_EQ(fmt_str("{} {}", 1), "1 {?missing}");
  EXPECT_EQ(fmt_str("{:q!}", 1), "{?bad-spec}");
  EXPECT_EQ(fmt_str("tail {", 1), "tail {");
  EXPECT_EQ(fmt_str("{:9999999999999}", 1), "{?bad-spec}");
}

TEST(Format, TruncationIsReportedAndTerminated) {
  char buf[8];
  capos::BufferSink s(buf, sizeof(buf));
  size_t n = capos::format(s, "0123456789{}", 42);
  EXPECT_EQ(n, 12u);
  EXPECT_TRUE(s.truncated());
  EXPECT_STREQ(buf, "0123456");
}

}  // namespace
