// KObject typing: down_cast checks the type tag; Ref<Derived> converts to
// Ref<Base> keeping the reference count exact.
#include "kernel/cap/object.h"

#include <gtest/gtest.h>

using namespace capos;

namespace {

struct Counted : KObject {
  static inline int destroyed = 0;
  explicit Counted(ObjType t) : KObject(t) {}
  void destroy() override {
    ++destroyed;
    delete this;
  }
};
struct TimerLike final : Counted {
  static bool holds_type(ObjType t) { return t == ObjType::Timer; }
  TimerLike() : Counted(ObjType::Timer) {}
};
struct ConsoleLike final : Counted {
  static bool holds_type(ObjType t) { return t == ObjType::Console; }
  ConsoleLike() : Counted(ObjType::Console) {}
};

TEST(KObjectTyping, DownCastChecksTheTag) {
  Ref<KObject> t = Ref<TimerLike>::adopt(new TimerLike());
  EXPECT_NE(down_cast<TimerLike>(t.get()), nullptr);
  EXPECT_EQ(down_cast<ConsoleLike>(t.get()), nullptr);  // a Timer is not a Console
  EXPECT_EQ(down_cast<TimerLike>(static_cast<KObject*>(nullptr)), nullptr);
  const KObject* ct = t.get();
  EXPECT_EQ(down_cast<TimerLike>(ct), static_cast<const TimerLike*>(ct));
}

TEST(KObjectTyping, DerivedRefConvertsToBaseWithExactCounts) {
  Counted::destroyed = 0;
  {
    Ref<TimerLike> derived = Ref<TimerLike>::adopt(new TimerLike());
    Ref<KObject> copy = derived;  // shares: two references
    EXPECT_EQ(derived->refs(), 2u);
    Ref<KObject> moved = Ref<TimerLike>::adopt(new TimerLike());  // moves: one reference
    EXPECT_EQ(moved->refs(), 1u);
    Ref<KObject> from_named(std::move(derived));
    EXPECT_FALSE(derived);
    EXPECT_EQ(copy->refs(), 2u);
  }
  EXPECT_EQ(Counted::destroyed, 2);  // both objects, each exactly once
}

}  // namespace
