#include "kernel/caps/timer_cap.h"

#include "kernel/caps/kernel_server.h"
#include "kernel/dev/timer.h"
#include "kernel/mm/heap.h"
#include "kernel/sched/scheduler.h"

namespace capos {

namespace wire = schema::wire;

namespace {
// Longest single sleep (one hour): keeps deadline arithmetic far from overflow.
constexpr uint64_t MAX_SLEEP_NS = 3600ull * 1000000000ull;
}

Ref<KObject> TimerCap::create() {
  void* m = heap::alloc(sizeof(TimerCap));
  if (!m) return {};
  return Ref<KObject>::adopt(new (m) TimerCap());
}

void TimerCap::destroy() {
  this->~TimerCap();
  heap::free(this);
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
  sched::sleep_until(timer::now_ns() + d);
  r.setMonotonicNs(timer::now_ns());
  return {};
}

Status TimerCap::sleepUntil(wire::Timer::SleepUntilParams::Reader p, wire::Timer::SleepUntilResults::Builder r) {
  uint64_t deadline = p.getDeadlineNs();
  if (deadline > timer::now_ns() + MAX_SLEEP_NS) return fail(Err::InvalidArgument);
  sched::sleep_until(deadline);
  r.setMonotonicNs(timer::now_ns());
  return {};
}

}  // namespace capos
