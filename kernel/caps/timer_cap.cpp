#include "kernel/caps/timer_cap.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/caps/kernel_server.h"
#include "kernel/ipc/endpoint.h"
#include "lib/capnp/message.h"
#include "lib/core/intrusive_list.h"
#include "kernel/dev/timer.h"
#include "kernel/mm/heap.h"
#include "kernel/sched/scheduler.h"

namespace capos {

namespace wire = schema::wire;

namespace {
// Longest single sleep (one hour): keeps deadline arithmetic far from overflow.
constexpr uint64_t MAX_SLEEP_NS = 3600ull * 1000000000ull;

// A sleep is a deferred CALL: the caller's ring keeps running, and the
// timer tick completes the CALL once the deadline has passed.
struct Sleeper {
  ListNode node;
  IpcCall* call;
  uint64_t deadline;
};
IntrusiveList<Sleeper, &Sleeper::node> g_sleepers;

// Both sleep methods answer (monotonicNs); SleepResults and
// SleepUntilResults have the same layout, so one builder serves both.
void complete(Sleeper* s) {
  alignas(8) uint8_t buf[64];
  capnp::FixedMessageBuilder mb(MutBytes(buf, sizeof(buf)));
  auto r = wire::Timer::SleepResults::initRoot(mb);
  if (r) r->setMonotonicNs(timer::now_ns());
  if (r) ipc::complete_deferred(s->call, mb.framed(), false);
  else ipc::complete_deferred(s->call, Bytes(), false, abi::CAP_ERR_INVOKE_FAILED);
  heap::destroy(s);
}

Status defer_until(uint64_t deadline) {
  CallContext& ctx = current_call();
  Sleeper* s = heap::make<Sleeper>();
  if (!s) return fail(Err::Overloaded);
  s->deadline = deadline;
  s->call = ipc::defer_kernel_call(ctx.caller, ctx.user_data, ctx.result_addr, ctx.result_len);
  if (!s->call) {
    heap::destroy(s);
    return fail(Err::Overloaded);  // the caller's outstanding-call quota
  }
  ctx.deferred = s->call;
  arch::IrqGuard irq;
  g_sleepers.push_back(s);
  return {};
}

}  // namespace

void TimerCap::tick() {
  uint64_t now = timer::now_ns();
  for (Sleeper* s = g_sleepers.front(); s;) {
    Sleeper* next = g_sleepers.next(s);
    if (now >= s->deadline) {
      g_sleepers.remove(s);
      complete(s);
    }
    s = next;
  }
}

void TimerCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status TimerCap::now(wire::Timer::NowParams::Reader, wire::Timer::NowResults::Builder r) {
  r.setMonotonicNs(timer::now_ns());
  r.setTick(timer::ticks());
  return {};
}

Status TimerCap::sleep(wire::Timer::SleepParams::Reader p, wire::Timer::SleepResults::Builder r) {
  uint64_t d = p.getDurationNs();
  if (d > MAX_SLEEP_NS) return fail(Err::InvalidArgument);
  if (d == 0) {
    r.setMonotonicNs(timer::now_ns());
    return {};
  }
  return defer_until(timer::now_ns() + d);
}

Status TimerCap::sleepUntil(wire::Timer::SleepUntilParams::Reader p, wire::Timer::SleepUntilResults::Builder r) {
  uint64_t deadline = p.getDeadlineNs();
  uint64_t now = timer::now_ns();
  if (deadline > now + MAX_SLEEP_NS) return fail(Err::InvalidArgument);
  if (deadline <= now) {
    r.setMonotonicNs(now);
    return {};
  }
  return defer_until(deadline);
}

}  // namespace capos
