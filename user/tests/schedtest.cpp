// schedtest: SchedulingContext end to end (issue 15, docs/scheduling.md).
// The manifest (tests/qemu/manifests/sched_context.json) grants four
// contexts init minted from its root: `light` (weight 1), `heavy` (weight
// 4), `capped` (weight 1, 20 ms per 100 ms) and `root` (a copy of init's
// root). Checks, each printed:
//   1. every escalation through mint is refused, narrower mints succeed;
//   2. spinner threads bound to `heavy` get 4x the CPU of those bound to
//      `light` (two of each, so on two CPUs the shares still compete);
//   3. spinners bound to `capped` get 20% of one CPU, with a tolerance.
// Shares are read from the contexts' own accounting (info.usedUs) over a
// wall-clock window from Timer.now. Exit status 0 when all passed.
#include "schema/kernel.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/thread.h"
#include "user/rt/transport.h"

using namespace capos;
namespace wire = capos::schema::wire;

namespace {

struct Call {
  alignas(8) uint8_t pbuf[256];
  alignas(8) uint8_t rbuf[256];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};

struct Ctx {
  const char* name;
  uint32_t id = 0;
};

Ctx g_light{"light"}, g_heavy{"heavy"}, g_capped{"capped"}, g_root{"root"};
rt::Cap<wire::Timer> g_timer;
volatile bool g_stop = false;
uint64_t g_spins[8];

wire::SchedulingContext::Client client(uint32_t id) {
  return wire::SchedulingContext::Client(&rt::transport(), rt::Cap<wire::SchedulingContext>::unchecked(id));
}

struct Info {
  uint32_t weight, budget, period;
  uint64_t used_us, throttled;
};

Result<Info> info(uint32_t id) {
  Call c;
  (void)wire::SchedulingContext::Client::infoParams(c.params);
  auto r = CAPOS_TRY(client(id).info(c.params, c.resp));
  return Info{r.getWeight(), r.getBudgetUs(), r.getPeriodUs(), r.getUsedUs(), r.getThrottled()};
}

// Mint from `id`; the new context's cap id, or the error.
Result<uint32_t> mint(uint32_t id, uint32_t w, uint32_t b, uint32_t p) {
  Call c;
  auto mp = CAPOS_TRY(wire::SchedulingContext::Client::mintParams(c.params));
  mp.setWeight(w);
  mp.setBudgetUs(b);
  mp.setPeriodUs(p);
  auto cap = CAPOS_TRY(rt::call_for_cap<wire::SchedulingContext>(
      rt::Cap<wire::SchedulingContext>::unchecked(id),
      static_cast<uint16_t>(wire::SchedulingContext::Method::MINT), c.params, c.resp));
  return cap.id();
}

uint64_t now_ns() {
  Call c;
  (void)wire::Timer::Client::nowParams(c.params);
  auto r = wire::Timer::Client(&rt::transport(), g_timer).now(c.params, c.resp);
  return r ? r->getMonotonicNs() : 0;
}

void sleep_ms(uint64_t ms) {
  Call c;
  auto p = wire::Timer::Client::sleepParams(c.params);
  p->setDurationNs(ms * 1'000'000);
  (void)wire::Timer::Client(&rt::transport(), g_timer).sleep(c.params, c.resp);
}

struct SpinArg {
  uint32_t ctx;
  uint32_t slot;
};
SpinArg g_args[8];

// Binds itself to its context, then burns CPU (no syscalls) until told to stop.
int64_t spinner(void* a) {
  auto* arg = static_cast<SpinArg*>(a);
  Call c;
  (void)wire::SchedulingContext::Client::bindThreadParams(c.params);
  if (!client(arg->ctx).bindThread(c.params, c.resp)) return 1;
  uint64_t n = 0;
  while (!g_stop) ++n;
  g_spins[arg->slot] = n;
  return 0;
}

bool refused(const char* what, Result<uint32_t> r) {
  if (r) {
    rt::printf("schedtest: FAIL: {} was minted\n", what);
    return false;
  }
  if (r.error() != Err::InvalidArgument) {
    rt::printf("schedtest: FAIL: {} failed with {}, want invalidArgument\n", what, err_name(r.error()));
    return false;
  }
  return true;
}

bool escalations() {
  int ok = 0, n = 0;
  auto check = [&](const char* what, Result<uint32_t> r) { ++n; ok += refused(what, r); };
  check("weight 5 from heavy (4)", mint(g_heavy.id, 5, 0, 0));
  check("weight 2 from light (1)", mint(g_light.id, 2, 0, 0));
  check("no budget from capped", mint(g_capped.id, 1, 0, 0));
  check("30% from capped (20%)", mint(g_capped.id, 1, 30'000, 100'000));
  check("weight 0", mint(g_root.id, 0, 0, 0));
  check("weight 1025 from root", mint(g_root.id, 1025, 0, 0));
  check("budget above its period", mint(g_root.id, 1, 200'000, 100'000));
  check("period below 10 ms", mint(g_root.id, 1, 1'000, 5'000));
  // Narrower ones are fine; a grandchild is held to its parent's share.
  auto half = mint(g_capped.id, 1, 10'000, 100'000);
  if (!half) {
    rt::printf("schedtest: FAIL: a 10% context from capped: {}\n", err_name(half.error()));
    return false;
  }
  check("20% from a 10% child", mint(*half, 1, 20'000, 100'000));
  auto quarter = mint(*half, 1, 5'000, 50'000);  // the same share, shorter period
  rt::release_cap(*half);
  if (!quarter) {
    rt::printf("schedtest: FAIL: 10% of a 10% context refused: {}\n", err_name(quarter.error()));
    return false;
  }
  auto qi = info(*quarter);
  rt::release_cap(*quarter);
  if (!qi || qi->budget != 5'000 || qi->period != 50'000) return false;
  rt::printf("schedtest: escalation refused {} of {}, narrower mints accepted\n", ok, n);
  return ok == n;
}

// Runs `count` spinners on each of the contexts for `ms` of wall time after
// a settling pause; returns each context's CPU (us) in the window and the
// window (us).
bool run_spinners(const Ctx* const* ctxs, uint32_t nctx, uint32_t count, uint64_t ms, uint64_t* used,
                  uint64_t* wall_us) {
  rt::Thread ts[8];
  uint32_t n = 0;
  g_stop = false;
  for (uint32_t c = 0; c < nctx; ++c)
    for (uint32_t i = 0; i < count; ++i, ++n) {
      g_args[n] = SpinArg{ctxs[c]->id, n};
      auto t = rt::Thread::start(spinner, &g_args[n]);
      if (!t) {
        rt::printf("schedtest: FAIL: thread: {}\n", err_name(t.error()));
        g_stop = true;
        return false;
      }
      ts[n] = move(*t);
    }
  sleep_ms(300);  // all bound and spinning
  uint64_t before[4];
  for (uint32_t c = 0; c < nctx; ++c) before[c] = info(ctxs[c]->id).value_or(Info{}).used_us;
  uint64_t t0 = now_ns();
  sleep_ms(ms);
  uint64_t t1 = now_ns();
  for (uint32_t c = 0; c < nctx; ++c) used[c] = info(ctxs[c]->id).value_or(Info{}).used_us - before[c];
  g_stop = true;
  bool ok = true;
  for (uint32_t i = 0; i < n; ++i) ok = ts[i].join().value_or(1) == 0 && ok;
  *wall_us = (t1 - t0) / 1000;
  return ok;
}

}  // namespace

int main() {
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!timer) return 2;
  g_timer = *timer;
  Ctx* all[] = {&g_light, &g_heavy, &g_capped, &g_root};
  for (Ctx* c : all) {
    auto cap = rt::capset_find<wire::SchedulingContext>(c->name);
    if (!cap) {
      rt::printf("schedtest: FAIL: no `{}` SchedulingContext: {}\n", c->name, err_name(cap.error()));
      return 3;
    }
    c->id = cap->id();
    auto i = info(c->id);
    if (!i) return 4;
    rt::printf("schedtest: {}: weight {}, budget {} us per {} us\n", c->name, i->weight, i->budget, i->period);
  }
  if (!escalations()) return 5;

  const Ctx* pair[] = {&g_light, &g_heavy};
  uint64_t used[2], wall = 0;
  // Long windows: on a loaded host a vCPU stall stretches one slice, and
  // the shares are exact only up to about one slice at the window's ends.
  if (!run_spinners(pair, 2, 2, 6000, used, &wall)) return 6;
  uint64_t permille = used[0] ? used[1] * 1000 / used[0] : 0;
  rt::printf("schedtest: weights 1 and 4: light {} us, heavy {} us in {} us (ratio {}.{:03})\n", used[0], used[1],
             wall, permille / 1000, permille % 1000);
  if (permille < 3400 || permille > 4600) {
    rt::printf("schedtest: FAIL: heavy/light = {}/1000, want 4000 +- 15%\n", permille);
    return 7;
  }
  rt::print("schedtest: weight share ok\n");

  const Ctx* one[] = {&g_capped};
  if (!run_spinners(one, 1, 2, 4000, used, &wall)) return 8;
  uint64_t share = wall ? used[0] * 1000 / wall : 0;
  auto ci = info(g_capped.id);
  rt::printf("schedtest: budget 20 ms per 100 ms: {} us of CPU in {} us ({}/1000 of one CPU), throttled {} times\n",
             used[0], wall, share, ci ? ci->throttled : 0);
  if (share < 160 || share > 240 || !ci || ci->throttled == 0) {
    rt::printf("schedtest: FAIL: capped share {}/1000, want 200 +- 20%\n", share);
    return 9;
  }
  rt::print("schedtest: budget share ok\n");
  rt::print("schedtest: all checks passed\n");
  return 0;
}
