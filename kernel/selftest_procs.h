// Process plumbing shared by the issue-22 self tests (kernel/selftest_
// issue22.cpp, kernel/selftest_liveness.cpp): create a process from the
// boot module, grant it kernel caps by name (its role), kill it the way
// ProcessHandle.kill does, and judge how it ended.
#pragma once

#include "kernel/cap/object.h"
#include "kernel/proc/exit_watch.h"
#include "kernel/proc/process.h"
#include "kernel/sched/kernel_lock.h"
#include "lib/core/span.h"

namespace capos {
class EndpointCore;
}

namespace capos::selftest::procs {

struct Child {
  Process* p = nullptr;  // valid only while the watch has not published
  Ref<ExitWatch> watch;
  const char* role = "";
};

// Creates (not starts) a process of `image`; panics on failure with `test`.
Child create(const char* test, Bytes image, const char* name) CAPOS_REQUIRES(g_kernel_lock);
void grant(const char* test, Child& c, const char* name, Ref<KObject> o, uint64_t iface) CAPOS_REQUIRES(g_kernel_lock);
void start(Child& c) CAPOS_REQUIRES(g_kernel_lock);
// ProcessHandle.kill: asks it to die unless it has already exited.
void kill(Child& c) CAPOS_REQUIRES(g_kernel_lock);
// Waits at most `ticks` timer ticks for `c` to end; panics if it does
// not (a kill that is never honoured) or ends other than expected.
void expect_end(const char* test, Child& c, ExitStatus::Kind kind, int64_t code, uint64_t ticks = 1000)
    CAPOS_REQUIRES(g_kernel_lock);
// One step of a polling loop: runs the deferred work, then yields.
void poll_point() CAPOS_REQUIRES(g_kernel_lock);
// Polls until `ticks` timer ticks have passed.
void wait_ticks(uint64_t ticks) CAPOS_REQUIRES(g_kernel_lock);

// A process of the hostile22 program (user/tests/hostile22_*.cpp) in
// `role`: granted the caps that role looks up, with `ep` as its endpoint
// (client facet for "flood"/"fair"/"leaver", owner facet for "server").
// Started unless `start_now` is false.
Child spawn_role(const char* test, Bytes image, const char* role, EndpointCore* ep, bool start_now = true)
    CAPOS_REQUIRES(g_kernel_lock);
// Interface id of the test endpoint (hostile22.h ECHO_IFACE).
constexpr uint64_t ECHO_IFACE = 0x4832324543ull;

// Runs `scenario` twice; the second round must end with exactly the first
// round's free frames and heap allocations. Then QEMU exits with success.
[[noreturn]] void two_rounds(const char* test, void (*scenario)()) CAPOS_REQUIRES(g_kernel_lock);

// Deterministic pseudo-random numbers (the seed is printed by each test).
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

}  // namespace capos::selftest::procs
