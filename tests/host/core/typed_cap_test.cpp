// rt::Cap<Iface> and the one place a result cap becomes typed
// (rt::record_cap): the record's interface id must match.
#include "user/rt/cap.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace {

namespace rt = capos::rt;
using capos::Err;

struct Timer {
  static constexpr uint64_t kInterfaceId = 0x1111;
};
struct Console {
  static constexpr uint64_t kInterfaceId = 0x2222;
};

// Caps of different interfaces are different types: no conversion either way.
static_assert(!std::is_convertible_v<rt::Cap<Timer>, rt::Cap<Console>>);
static_assert(!std::is_convertible_v<uint32_t, rt::Cap<Timer>>);
static_assert(!std::is_convertible_v<rt::Cap<Timer>, uint32_t>);

TEST(TypedCap, DefaultIsEmpty) {
  rt::Cap<Timer> c;
  EXPECT_FALSE(c);
  EXPECT_EQ(c.id(), capos::abi::CAPID_INVALID);
  EXPECT_TRUE(rt::Cap<Timer>::unchecked(5));
  EXPECT_EQ(rt::Cap<Timer>::unchecked(5).erase().id(), 5u);
}

TEST(TypedCap, RecordCapChecksTheInterface) {
  capos::abi::CapTransferRecord rec{42, 0, Timer::kInterfaceId};
  auto t = rt::record_cap<Timer>(rec);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->id(), 42u);
  EXPECT_EQ(rt::record_cap<Console>(rec).error(), Err::InterfaceMismatch);
  auto any = rt::record_cap<rt::AnyInterface>(rec);
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->id(), 42u);
}

}  // namespace
