// posix_spawn's file-action planning (user/libc/os/spawn_plan.cpp): which
// dup2 actions become pipes to the child, and every refusal (EINVAL/EBADF,
// nothing planned).
#include <gtest/gtest.h>

#include "user/libc/os/spawn_plan.h"

namespace {

using namespace capos::libc;

struct Fixture {
  FdTable t;
  bool remote[4] = {};
  int in, out, err, pr, pw, file;
  Fixture() {
    OpenFile f;
    f.kind = FdKind::ConsoleIn;
    in = *t.open(f);
    f.kind = FdKind::ConsoleOut;
    out = *t.open(f);
    err = *t.dup(out, 0);
    f.kind = FdKind::PipeRead;
    f.pipe = 2;
    pr = *t.open(f);
    f.kind = FdKind::PipeWrite;
    pw = *t.open(f);
    f.kind = FdKind::File;
    file = *t.open(f);
  }
  capos::Result<uint32_t, Errno> plan(std::initializer_list<capos_spawn_dup> d, StreamGrant* out) {
    return plan_streams(t, remote, 4, d.begin(), static_cast<uint32_t>(d.size()), out);
  }
};

TEST(SpawnPlan, PipeEndsBecomeStreamsInTheirDirection) {
  Fixture f;
  StreamGrant g[3];
  auto r = f.plan({{f.pw, 1}}, g);
  ASSERT_TRUE(r);
  ASSERT_EQ(*r, 1u);
  EXPECT_EQ(g[0].to, 1);
  EXPECT_EQ(g[0].pipe, 2u);
  EXPECT_TRUE(g[0].parent_reads);  // the child writes: the parent reads
  r = f.plan({{f.pr, 0}}, g);
  ASSERT_TRUE(r);
  ASSERT_EQ(*r, 1u);
  EXPECT_FALSE(g[0].parent_reads);
}

TEST(SpawnPlan, ConsoleFdsNeedNoGrant) {
  Fixture f;
  StreamGrant g[3];
  auto r = f.plan({{f.in, 0}, {f.out, 1}, {f.err, 2}}, g);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 0u);
}

TEST(SpawnPlan, RefusalsPlanNothing) {
  Fixture f;
  StreamGrant g[3];
  EXPECT_EQ(f.plan({{f.pw, 3}}, g).error(), CAPOS_EINVAL);              // beyond stdio
  EXPECT_EQ(f.plan({{f.pw, -1}}, g).error(), CAPOS_EINVAL);
  EXPECT_EQ(f.plan({{f.out, 1}, {f.pw, 1}}, g).error(), CAPOS_EINVAL);  // fd 1 twice
  EXPECT_EQ(f.plan({{f.pw, 1}, {f.pr, 0}}, g).error(), CAPOS_EINVAL);   // both ends of one pipe
  EXPECT_EQ(f.plan({{f.file, 0}}, g).error(), CAPOS_EINVAL);            // a file cannot cross yet
  EXPECT_EQ(f.plan({{40, 0}}, g).error(), CAPOS_EBADF);                 // not open
  f.remote[2] = true;                                                   // already reaches a child
  EXPECT_EQ(f.plan({{f.pw, 1}}, g).error(), CAPOS_EINVAL);
}

}  // namespace
