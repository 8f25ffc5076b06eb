#include "kernel/objects/sched_context_cap.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/dev/timer.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/proc/process.h"
#include "kernel/sched/fair_queue.h"
#include "kernel/sched/scheduler.h"
#include "lib/core/format.h"

namespace capos {

namespace wire = schema::wire;

namespace {

uint64_t cycles_per_us() {
  uint64_t c = timer::tsc_hz() / 1'000'000;
  return c ? c : 1;
}

Status refuse(const char* why) {
  CallContext& ctx = current_call();
  format_to(ctx.fail_message, sizeof ctx.fail_message, "{}", why);
  return fail(Err::InvalidArgument);
}

}  // namespace

SchedContextCap::SchedContextCap(Ref<SchedContextCap> parent, uint32_t weight, uint32_t budget_us, uint32_t period_us)
    : HeapKernelCap(ObjType::SchedulingContext),
      parent_(move(parent)),
      weight_(weight),
      budget_us_(budget_us),
      period_us_(period_us),
      budget_(parent_ ? &parent_->budget_ : nullptr, budget_us * cycles_per_us(), period_us * cycles_per_us(),
              arch::rdtsc()) {}

Ref<SchedContextCap> SchedContextCap::create_root() { return create(Ref<SchedContextCap>(), sched::WEIGHT_MAX, 0u, 0u); }

void SchedContextCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status SchedContextCap::info(wire::SchedulingContext::InfoParams::Reader, wire::SchedulingContext::InfoResults::Builder r) {
  r.setWeight(weight_);
  r.setBudgetUs(budget_us_);
  r.setPeriodUs(period_us_);
  r.setUsedUs(budget_.total() / cycles_per_us());
  r.setThrottled(budget_.throttled());
  return {};
}

Status SchedContextCap::mint(wire::SchedulingContext::MintParams::Reader p, wire::SchedulingContext::MintResults::Builder r) {
  uint32_t w = p.getWeight(), b = p.getBudgetUs(), per = p.getPeriodUs();
  if (const char* why = sched::mint_refusal(weight_, budget_us_, period_us_, budget_.depth(), w, b, per))
    return refuse(why);
  CallContext& ctx = current_call();
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  Ref<SchedContextCap> child = create(Ref<SchedContextCap>::share(this), w, b, per);
  if (!child) return fail(Err::Overloaded);
  r.setContext(CAPOS_TRY(ctx.add_result(move(child), wire::SchedulingContext::kInterfaceId)));
  return {};
}

Status SchedContextCap::bindThread(wire::SchedulingContext::BindThreadParams::Reader,
                                   wire::SchedulingContext::BindThreadResults::Builder) {
  bind_thread_sched(sched::current(), this, &budget_, weight_);
  return {};
}

Status SchedContextCap::bindProcess(wire::SchedulingContext::BindProcessParams::Reader,
                                    wire::SchedulingContext::BindProcessResults::Builder) {
  bind_process(current_call().caller);
  return {};
}

void SchedContextCap::bind_process(Process& p) { p.bind_sched(this, &budget_, weight_); }

}  // namespace capos
