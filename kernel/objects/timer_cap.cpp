#include "kernel/objects/timer_cap.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/ipc/endpoint.h"
#include "lib/capnp/message.h"
#include "lib/core/intrusive_list.h"
#include "kernel/dev/timer.h"
#include "kernel/sched/scheduler.h"

namespace capos {

namespace wire = schema::wire;

namespace {
// Longest single sleep (one hour): keeps deadline arithmetic far from overflow.
constexpr uint64_t MAX_SLEEP_NS = 3600ull * 1000000000ull;

// Pending sleeps: deferred CALLs (the caller's ring keeps running) linked
// through their own call record, deadline in owner_data, so a sleep costs
// no allocation beyond the call record its caller's quota already pays
// for. Completed by the deferred timer work; a dead caller's sleep is
// cancelled at once. Touched only with interrupts disabled.
class SleepQueue final : public DeferredOwner {
 public:
  void add(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) {
    arch::IrqGuard irq;
    list_.push_back(c);
  }
  void cancel(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) override {
    arch::IrqGuard irq;
    list_.remove(c);
  }
  uint64_t earliest() const CAPOS_REQUIRES(g_kernel_lock) {
    uint64_t best = ~0ull;
    for (IpcCall* c = list_.front(); c; c = list_.next(c))
      if (c->owner_data < best) best = c->owner_data;
    return best;
  }
  void expire(uint64_t now) CAPOS_REQUIRES(g_kernel_lock) {
    for (IpcCall* c = list_.front(); c;) {
      IpcCall* next = list_.next(c);
      if (now >= c->owner_data) {
        list_.remove(c);
        complete(c);
      }
      c = next;
    }
  }

 private:
  // Both sleep methods answer (monotonicNs); SleepResults and
  // SleepUntilResults have the same layout, so one builder serves both.
  static void complete(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) {
    alignas(8) uint8_t buf[64];
    capnp::FixedMessageBuilder mb(MutBytes(buf, sizeof(buf)));
    auto r = wire::Timer::SleepResults::initRoot(mb);
    if (r) r->setMonotonicNs(timer::now_ns());
    if (r) ipc::complete_deferred(c, mb.framed(), false);
    else ipc::fail_deferred(c, CAPOS_CAP_ERROR(INVOKE_FAILED, "the reply could not be encoded"));
  }
  IntrusiveList<IpcCall, &IpcCall::ep_node> list_ CAPOS_GUARDED_BY(g_kernel_lock);
};
SleepQueue g_sleepers;

Status defer_until(uint64_t deadline) CAPOS_REQUIRES(g_kernel_lock) {
  CallContext& ctx = current_call();
  IpcCall* c = CAPOS_TRY(ipc::defer_kernel_call(ctx, g_sleepers, deadline));  // the caller's quota
  ctx.deferred = c;
  g_sleepers.add(c);
  return {};
}

}  // namespace

void TimerCap::expire() { g_sleepers.expire(timer::now_ns()); }
uint64_t TimerCap::next_deadline() { return g_sleepers.earliest(); }

void TimerCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Result<uint32_t> TimerCap::fast_reply(uint64_t interface_id, uint16_t method_id, MutBytes out) {
  if (interface_id != wire::Timer::kInterfaceId || method_id != static_cast<uint16_t>(wire::Timer::Method::NOW))
    return fail(Err::Unsupported);
  // What dispatch_kernel_server and the generated skeleton do for NOW with
  // no params: a fresh builder, the result root, the method.
  capnp::FixedMessageBuilder mb(out);
  auto r = CAPOS_TRY(wire::Timer::NowResults::initRoot(mb));
  CAPOS_TRY_STATUS(now(wire::Timer::NowParams::Reader(capnp::StructReader()), r));
  return static_cast<uint32_t>(mb.framed().size());
}

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
