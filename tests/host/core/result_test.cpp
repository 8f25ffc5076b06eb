#include "lib/core/result.h"
#include "lib/core/span.h"

#include <gtest/gtest.h>

using capos::Err;
using capos::fail;
using capos::Result;
using capos::Status;

namespace {

Result<int> parse_digit(char c) {
  if (c < '0' || c > '9') return fail(Err::InvalidArgument);
  return c - '0';
}

Result<int> sum_two(char a, char b) {
  int x = CAPOS_TRY(parse_digit(a));
  int y = CAPOS_TRY(parse_digit(b));
  return x + y;
}

Status check_even(int v) {
  if (v % 2) return fail(Err::OutOfRange);
  return {};
}

Status check_sum_even(char a, char b) {
  int s = CAPOS_TRY(sum_two(a, b));
  CAPOS_TRY_STATUS(check_even(s));
  return {};
}

TEST(Result, ValueAndError) {
  auto ok = parse_digit('7');
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  auto bad = parse_digit('x');
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), Err::InvalidArgument);
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, TryPropagates) {
  EXPECT_EQ(*sum_two('3', '4'), 7);
  EXPECT_EQ(sum_two('3', '?').error(), Err::InvalidArgument);
  EXPECT_TRUE(check_sum_even('3', '5').ok());
  EXPECT_EQ(check_sum_even('3', '4').error(), Err::OutOfRange);
  EXPECT_EQ(check_sum_even('a', '4').error(), Err::InvalidArgument);
}

struct Tracked {
  static inline int live = 0;
  int v;
  explicit Tracked(int x) : v(x) { ++live; }
  Tracked(const Tracked& o) : v(o.v) { ++live; }
  Tracked(Tracked&& o) : v(o.v) { ++live; }
  ~Tracked() { --live; }
};

TEST(Result, DestroysHeldValueExactlyOnce) {
  {
    Result<Tracked> r = Tracked(5);
    Result<Tracked> copy = r;
    Result<Tracked> moved = capos::move(copy);
    EXPECT_EQ(moved->v, 5);
    r = Result<Tracked>(fail(Err::Busy));
    EXPECT_EQ(r.error(), Err::Busy);
  }
  EXPECT_EQ(Tracked::live, 0);
}

TEST(Result, ValueOfFailureTraps) {
  Result<int> r = fail(Err::NotFound);
  EXPECT_DEATH((void)r.value(), "");
}

TEST(Span, CheckedSubspan) {
  uint8_t data[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  capos::Bytes b(data, sizeof(data));
  auto s = b.subspan(2, 3);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->size(), 3u);
  EXPECT_EQ((*s)[0], 2);
  EXPECT_FALSE(b.subspan(6, 3).ok());
  EXPECT_FALSE(b.subspan(1, SIZE_MAX).ok());  // offset+count overflows
  EXPECT_FALSE(b.subspan(9).ok());
  EXPECT_TRUE(b.subspan(8).ok());
}

}  // namespace
