// Liveness roles of the issue-22 hostile class: the watchdog whose sleeps
// must keep completing on schedule, and the hostile workloads it runs
// against (ring stall, NOP flood, endpoint flood, sparse map/unmap storm).
// The hostile roles loop until the kernel self test kills them; any
// misbehaviour they see ends them early with a non-zero status.
#include "user/tests/hostile22.h"

namespace capos::h22 {

using namespace abi;

namespace {

uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (uint64_t{hi} << 32) | lo;
}

// A framed Timer params message in caller storage.
struct Framed {
  alignas(8) uint8_t buf[64];
  Bytes msg;
};
// Built in place: `msg` points into `buf`.
void sleep_params(Framed& f, uint64_t ns) {
  capnp::FixedMessageBuilder mb(MutBytes(f.buf, sizeof(f.buf)));
  auto p = wire::Timer::Client::sleepParams(mb);
  if (p) p->setDurationNs(ns);
  f.msg = mb.framed();
}

uint64_t reply_ns(uint8_t* buf, int32_t len) {  // Now/Sleep results both lead with monotonicNs
  capnp::Response r(MutBytes(buf, 64));
  if (len <= 0 || !r.complete(static_cast<size_t>(len))) return 0;
  auto root = r.root();
  return root ? wire::Timer::SleepResults::Reader(*root).getMonotonicNs() : 0;
}

}  // namespace

// Sleeps WATCHDOG_SLEEPS times for two ticks each. Timer.now and the sleep
// go to the kernel in one batch (consumed in one kernel pass, so now's
// answer is the sleep's start); the sleep's answer is the time the kernel
// completed it. Lateness = completion - (start + duration) must stay
// within 3 ticks. Time in which the machine received no ticks at all (the
// host descheduled QEMU) is not the kernel's lateness and is excused.
int watchdog() {
  constexpr int SLEEPS = 150;
  constexpr uint64_t PERIOD = 2 * TICK_NS, BOUND = 3 * TICK_NS;
  auto t = cap<wire::Timer>("watchdog");
  Framed nowp;
  {
    capnp::FixedMessageBuilder mb(MutBytes(nowp.buf, sizeof(nowp.buf)));
    (void)wire::Timer::Client::nowParams(mb);
    nowp.msg = mb.framed();
  }
  Framed sp;
  sleep_params(sp, PERIOD);
  uint64_t worst = 0, excused = 0;
  for (int i = 0; i < SLEEPS; ++i) {
    alignas(8) uint8_t nbuf[64], sbuf[64];
    CapSqe n = call_sqe(t, static_cast<uint16_t>(wire::Timer::Method::NOW), nowp.msg.data(),
                        static_cast<uint32_t>(nowp.msg.size()), nbuf, sizeof(nbuf));
    if (!rt::ring().push(n)) return 10;
    CapSqe s = call_sqe(t, static_cast<uint16_t>(wire::Timer::Method::SLEEP), sp.msg.data(),
                        static_cast<uint32_t>(sp.msg.size()), sbuf, sizeof(sbuf));
    CapCqe sc = rt::ring().call(s);
    CapCqe nc;
    if (!rt::ring().try_take(n.user_data, &nc)) return 11;
    uint64_t start = reply_ns(nbuf, nc.result), done = reply_ns(sbuf, sc.result);
    auto after = timer_now(t);
    if (!start || !done || !after) return 12;
    // The tick count of the now() answer is in nbuf too; read it for the excuse.
    capnp::Response nr(MutBytes(nbuf, sizeof(nbuf)));
    if (!nr.complete(static_cast<size_t>(nc.result))) return 13;
    auto nroot = nr.root();
    if (!nroot) return 13;
    uint64_t tick0 = wire::Timer::NowResults::Reader(*nroot).getTick();
    if (done < start + PERIOD) return 14;  // woke early
    uint64_t late = done - (start + PERIOD);
    uint64_t wall = after->ns - start, ticked = (after->tick - tick0 + 1) * TICK_NS;
    uint64_t lost = wall > ticked ? wall - ticked : 0;
    if (late > BOUND + lost) {
      rt::printf("watchdog: sleep {} completed {} us late (bound {} us, {} us without ticks)\n", i, late / 1000,
                 BOUND / 1000, lost / 1000);
      return 20;
    }
    if (late > worst) worst = late;
    excused += lost;
  }
  rt::printf("watchdog: {} sleeps on schedule, worst lateness {} us (bound 3 ticks = {} us; {} us host stall)\n",
             SLEEPS, worst / 1000, BOUND / 1000, excused / 1000);
  return 0;
}

// Issue 22 finding 1: fill the completion budget with pending sleeps, queue
// more SQEs behind them, then cap_enter(min_complete > ready, timeout). It
// must return at its timeout (it used to spin in the kernel forever,
// starving every sleeper in the system and ignoring kill). `forever`
// then waits with no timeout: only a kill can end it.
int stall(bool forever) {
  auto t = cap<wire::Timer>(forever ? "stall_forever" : "stall");
  auto a = timer_now(t);
  uint64_t ta = rdtsc();
  if (!a || !timer_sleep(t, 5 * TICK_NS)) return 30;
  auto b = timer_now(t);
  uint64_t tb = rdtsc();
  if (!b || b->ns <= a->ns) return 31;
  uint64_t tsc_per_ms = (tb - ta) * 1'000'000 / (b->ns - a->ns);
  constexpr uint64_t TIMEOUT = 5 * TICK_NS;
  static Framed sp;
  sleep_params(sp, forever ? 3600'000'000'000ull : 30 * TICK_NS);
  RingHeader& h = rt::ring().page()->header;
  for (uint32_t round = 0;; ++round) {
    static uint8_t results[CQ_ENTRIES + SQ_ENTRIES][64];
    auto before = timer_now(t);  // for the host-stall excuse, as in the watchdog
    if (!before) return 31;
    uint32_t pushed = 0;
    // Sleeps until the kernel stops consuming (the budget is full) ...
    for (; pushed < CQ_ENTRIES + 1; ++pushed) {
      if (!rt::ring().push(call_sqe(t, static_cast<uint16_t>(wire::Timer::Method::SLEEP), sp.msg.data(),
                                    static_cast<uint32_t>(sp.msg.size()), results[pushed], 64)))
        return 32;
      if (!rt::ring().enter(0, CAP_ENTER_NO_WAIT)) return 33;
      if (h.sq_head != h.sq_tail) break;  // not consumed: stalled
    }
    if (h.sq_head == h.sq_tail) return 34;  // the budget never filled
    ++pushed;
    // ... more SQEs behind the stalled one ...
    for (uint32_t i = 0; i < 4; ++i, ++pushed) {
      CapSqe nop{};
      nop.user_data = rt::ring().next_user_data();
      if (!rt::ring().push(nop)) return 35;
    }
    // ... and wait for more completions than can come before the timeout.
    uint64_t t0 = rdtsc();
    int64_t ready = rt::cap_enter(1, forever ? CAP_ENTER_FOREVER : TIMEOUT);
    uint64_t ms = (rdtsc() - t0) / tsc_per_ms;
    if (forever) return 36;  // only a kill ends that wait
    if (ready != 0) return 37;
    // Reap everything: the sleeps end, then the queued SQEs run.
    for (uint32_t got = 0; got < pushed;) {
      if (!rt::ring().enter(1)) return 39;
      CapCqe c;
      while (rt::ring().pop(&c)) {
        if (c.result < 0) return 40;
        ++got;
      }
    }
    // Returned no earlier than its timeout, and no later than 10 ticks
    // after it, less any time in which the machine got no ticks at all. (A
    // timed-out waiter is queued behind the runnable processes: with up to
    // nine CPU-bound hostiles beside it, round robin may take that long.)
    auto after = timer_now(t);
    if (!after) return 29;
    uint64_t wall = after->ns - before->ns, ticked = (after->tick - before->tick + 1) * TICK_NS;
    uint64_t lost_ms = (wall > ticked ? wall - ticked : 0) / 1'000'000;
    if (ms * 1'000'000 < TIMEOUT || ms > (TIMEOUT + 10 * TICK_NS) / 1'000'000 + lost_ms) {
      rt::printf("stall: cap_enter returned after {} ms (timeout {} ms, {} ms without ticks)\n", ms,
                 TIMEOUT / 1'000'000, lost_ms);
      return 38;
    }
    if (round == 0)
      rt::printf("stall: cap_enter on a stalled ring returned at its timeout ({} ms for {} ms, {} SQEs held)\n",
                 ms, TIMEOUT / 1'000'000, pushed);
  }
}

// NOPs in full SQ batches, forever; every one completes, in order, with 0.
int nop_flood() {
  uint64_t next = 0, expect = 0;
  constexpr uint64_t BASE = 1ull << 48;
  for (;;) {
    for (uint32_t i = 0; i < SQ_ENTRIES; ++i) {
      CapSqe s{};
      s.user_data = BASE + next++;
      if (!rt::ring().push(s)) return 41;
    }
    if (rt::ring().enter(SQ_ENTRIES, CAP_ENTER_NO_WAIT).value_or(0) < SQ_ENTRIES) return 42;
    CapCqe c;
    while (rt::ring().pop(&c))
      if (c.user_data != BASE + expect++ || c.result != 0) return 43;
  }
}

// Keeps as many echo CALLs outstanding at the shared endpoint as it can.
// Past its per-caller share a call answers QUOTA_EXCEEDED (OVERLOADED on
// kernels with an endpoint-wide bound); every answered call must echo
// exactly.
int endpoint_flood() {
  auto ep = cap<Echo>("flood");
  constexpr uint32_t SLOTS = 28;
  static uint64_t params[SLOTS][2];
  static uint64_t results[SLOTS][2];
  bool busy[SLOTS] = {};
  uint64_t serial = 0;
  for (;;) {
    for (uint32_t i = 0; i < SLOTS && !rt::ring().sq_full(); ++i) {
      if (busy[i]) continue;
      params[i][0] = ++serial;
      params[i][1] = ~serial;
      CapSqe s = call_sqe(ep, 1, params[i], 16, results[i], 16);
      s.user_data = (serial << 8) | i;
      if (!rt::ring().push(s)) return 44;
      busy[i] = true;
    }
    if (!rt::ring().enter(1, 2 * TICK_NS)) return 45;
    CapCqe c;
    while (rt::ring().pop(&c)) {
      uint32_t i = c.user_data & 0xFF;
      if (i >= SLOTS || !busy[i]) return 46;
      busy[i] = false;
      if (c.result == CAP_ERR_QUOTA_EXCEEDED || c.result == CAP_ERR_OVERLOADED) continue;  // refused: fine
      if (c.result != 16 || results[i][0] != params[i][0] || results[i][1] != params[i][1]) return 47;
    }
  }
}

// 20 echo CALLs, each submitted without waiting (cap_enter NO_WAIT) to a
// server blocked in RECV -- the kernel hands the server off to the front
// of this CPU's run queue, marked to run here next -- and awaited by
// spinning in ring 3 on the CQ, so the server runs only once this CPU's
// tick enters the kernel (kernel/selftest_liveness.cpp poll_handoff).
int spin_call() {
  auto ep = cap<Echo>("spin_call");
  for (uint64_t i = 1; i <= 20; ++i) {
    uint64_t params[2] = {i, ~i}, results[2] = {};
    CapSqe s = call_sqe(ep, 1, params, 16, results, 16);
    if (!rt::ring().push(s)) return 60;
    if (!rt::ring().enter(0, CAP_ENTER_NO_WAIT)) return 61;
    CapCqe c;
    while (!rt::ring().pop(&c)) asm volatile("pause");
    if (c.result != 16 || results[0] != i || results[1] != ~i) return 62;
  }
  return 0;
}

// One-page maps, each in another 1 GiB region (so each needs its own page
// tables), touched and unmapped, forever.
int vm_storm() {
  auto vm = cap<wire::VirtualMemory>("storm");
  constexpr uint64_t REGIONS = (USER_HEAP_END - USER_HEAP_BASE) >> 30;
  for (uint64_t i = 0;; ++i) {
    uint64_t hint = USER_HEAP_BASE + ((i * 7919) % REGIONS << 30) + ((i % 512) << 21);
    auto a = vm_map(vm, hint, PG, true);
    if (!a || *a != hint) return 50;
    *reinterpret_cast<volatile uint8_t*>(*a) = 1;
    if (!vm_unmap(vm, *a, PG)) return 51;
  }
}

}  // namespace capos::h22
