// schedhog: a CPU hog that never binds itself, to show that a budget
// cannot be escaped (issue 15, docs/scheduling.md "Binding at spawn").
// The manifest (tests/qemu/manifests/sched_bind.json) gives it `capped`
// (20 ms per 100 ms) and `runOn: "capped"`, so init spawns it bound.
//   1. It spins for 2 s of wall time without a bind call: `capped` must
//      account about 20% of that and report throttling. Unbound, it would
//      take the whole CPU and `capped` would account nothing.
//   2. It spawns a copy of itself with no grants and no runOn and sleeps
//      2 s while the copy spins: the copy runs on its spawner's context,
//      so `capped` accounts about 20% again. A child that escaped would
//      leave `capped` at nothing for that window.
//   3. runOn naming a grant that is not a SchedulingContext, or no grant,
//      is refused (invalidArgument) and nothing is spawned.
// The copy (no `spawner` cap) just spins until it is killed.
#include "schema/kernel.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/owned_cap.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

struct Call {
  alignas(8) uint8_t pbuf[512];
  alignas(8) uint8_t rbuf[512];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

rt::Cap<wire::Timer> g_timer;
rt::Cap<wire::SchedulingContext> g_capped;

Result<uint64_t> now_ns() {
  Call c;
  (void)CAPOS_TRY(wire::Timer::Client::nowParams(c.params));
  auto r = CAPOS_TRY(wire::Timer::Client(&rt::transport(), g_timer).now(c.params, c.resp));
  return r.getMonotonicNs();
}

Status sleep_ms(uint64_t ms) {
  Call c;
  auto p = CAPOS_TRY(wire::Timer::Client::sleepParams(c.params));
  p.setDurationNs(ms * 1'000'000);
  (void)CAPOS_TRY(wire::Timer::Client(&rt::transport(), g_timer).sleep(c.params, c.resp));
  return {};
}

struct Used {
  uint64_t used_us, throttled;
};

Result<Used> used() {
  Call c;
  (void)CAPOS_TRY(wire::SchedulingContext::Client::infoParams(c.params));
  auto r = CAPOS_TRY(wire::SchedulingContext::Client(&rt::transport(), g_capped).info(c.params, c.resp));
  return Used{r.getUsedUs(), r.getThrottled()};
}

// Spawns a copy of this binary: no grants except, when `grant_timer`, a
// copy of the timer named "timer"; `run_on` as SpawnRequest.runOn.
Result<rt::OwnedCap<wire::ProcessHandle>> spawn_copy(rt::Cap<wire::ProcessSpawner> sp, bool grant_timer,
                                                     StrView run_on) {
  Call c;
  auto req = CAPOS_TRY(wire::ProcessSpawner::Client::spawnParams(c.params));
  CAPOS_TRY_STATUS(req.setName("schedhog-copy"));
  CAPOS_TRY_STATUS(req.setBinaryName("schedhog"));
  if (!run_on.empty()) CAPOS_TRY_STATUS(req.setRunOn(run_on));
  abi::CapTransferDesc xfer[1] = {{g_timer.id(), abi::XFER_COPY, {0, 0, 0}}};
  auto grants = CAPOS_TRY(req.initGrants(grant_timer ? 1 : 0));
  if (grant_timer) {
    auto g = grants[0];
    CAPOS_TRY_STATUS(g.setName("timer"));
    g.setInterfaceId(wire::Timer::kInterfaceId);
    g.getSource().getTransfer().set_capability(0);
  }
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(sp, 0, c.params, c.resp,
                                      Span<const abi::CapTransferDesc>(xfer, grant_timer ? 1 : 0),
                                      Span<abi::CapTransferRecord>(rec), &n));
  wire::SpawnResult::Reader r(CAPOS_TRY(c.resp.root()));
  if (!r.isSpawned() || n < 1) return fail(Err::Corrupt);
  return rt::OwnedCap<wire::ProcessHandle>(CAPOS_TRY(rt::record_cap<wire::ProcessHandle>(rec[0])));
}

Status kill_and_wait(rt::Cap<wire::ProcessHandle> h) {
  Call k;
  (void)CAPOS_TRY(wire::ProcessHandle::Client::killParams(k.params));
  (void)CAPOS_TRY(wire::ProcessHandle::Client(&rt::transport(), h).kill(k.params, k.resp));
  Call w;
  (void)CAPOS_TRY(wire::ProcessHandle::Client::waitParams(w.params));
  (void)CAPOS_TRY(wire::ProcessHandle::Client(&rt::transport(), h).wait(w.params, w.resp));
  return {};
}

// Per mille of `wall_us` that `capped` accounted; FAIL unless it is the
// budget's 200 within tolerance and the context was throttled.
bool share_ok(const char* what, Used a, Used b, uint64_t wall_us) {
  uint64_t share = wall_us ? (b.used_us - a.used_us) * 1000 / wall_us : 0;
  rt::printf("schedhog: {}: capped accounted {} us of {} us ({}/1000), throttled {} times\n", what,
             b.used_us - a.used_us, wall_us, share, b.throttled - a.throttled);
  if (share < 120 || share > 300 || b.throttled == a.throttled) {
    rt::printf("schedhog: FAIL: {}: share {}/1000, want 200 (120..300) and throttling\n", what, share);
    return false;
  }
  return true;
}

int hog_checks(rt::Cap<wire::ProcessSpawner> sp) {
  // 1. The spawn bound us: spinning shows up on `capped`, held to its budget.
  auto u0 = used();
  auto t0 = now_ns();
  if (!u0 || !t0) return 3;
  uint64_t t1 = *t0;
  uint64_t hist[3] = {}, reads = 0;
  for (uint64_t n = 0; t1 - *t0 < 2'000'000'000ull; ++n) {
    asm volatile("" ::: "memory");  // a real loop, not folded away
    if (n % 4096) continue;
    auto t = now_ns();
    if (!t) return 4;
    if (*t < t1) {  // Timer.now is monotonic: a step back is a kernel bug
      rt::printf("schedhog: FAIL: Timer.now went back from {} to {} (earlier {} {} {}; {} reads)\n", t1, *t,
                 hist[0], hist[1], hist[2], reads);
      return 11;
    }
    hist[reads++ % 3] = t1;
    t1 = *t;
  }
  auto u1 = used();
  if (!u1 || !share_ok("runOn hog", *u0, *u1, (t1 - *t0) / 1000)) return 5;
  rt::print("schedhog: runOn binds at spawn\n");

  // 2. A child without runOn runs on our context.
  auto child = spawn_copy(sp, false, StrView());
  if (!child) {
    rt::printf("schedhog: FAIL: spawn: {}\n", err_name(child.error()));
    return 6;
  }
  auto t2 = now_ns();
  auto u2 = used();
  if (!t2 || !u2 || !sleep_ms(2000)) return 7;
  auto t3 = now_ns();
  auto u3 = used();
  if (!t3 || !u3) return 7;
  if (!kill_and_wait(child->get())) return 8;
  if (!share_ok("spawned child", *u2, *u3, (*t3 - *t2) / 1000)) return 9;
  rt::print("schedhog: a child inherits its spawner's context\n");

  // 3. runOn must name a transferred SchedulingContext grant.
  auto not_ctx = spawn_copy(sp, true, "timer");
  auto missing = spawn_copy(sp, false, "capped");
  if (not_ctx || missing || not_ctx.error() != Err::InvalidArgument || missing.error() != Err::InvalidArgument) {
    rt::printf("schedhog: FAIL: bad runOn: {} / {}\n", not_ctx ? "spawned" : err_name(not_ctx.error()),
               missing ? "spawned" : err_name(missing.error()));
    return 10;
  }
  rt::print("schedhog: runOn naming no context grant refused\n");
  rt::print("schedhog: all checks passed\n");
  return 0;
}

}  // namespace

int main() {
  auto sp = rt::capset_find<wire::ProcessSpawner>("spawner");
  if (!sp) {
    for (;;) asm volatile("" ::: "memory");  // the copy: burn CPU until killed
  }
  auto timer = rt::capset_find<wire::Timer>("timer");
  auto capped = rt::capset_find<wire::SchedulingContext>("capped");
  if (!timer || !capped) {
    rt::print("schedhog: FAIL: needs `timer` and `capped`\n");
    return 2;
  }
  g_timer = *timer;
  g_capped = *capped;
  return hog_checks(*sp);
}
