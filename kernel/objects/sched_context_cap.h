// SchedulingContext: a weight and an optional CPU budget per period that
// the kernel enforces (issue 15, docs/scheduling.md). The accounting is
// kernel/sched/budget.h; the scheduler's hooks are
// kernel/sched/sched_context.h. A minted context holds its parent, whose
// Budget it charges too, so attenuation is real: a child never gets a
// higher weight or a larger share, and children together never exceed
// their parent's budget.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "kernel/sched/budget.h"
#include "schema/process.capnp.capos.h"

namespace capos {

class Process;

class SchedContextCap final : public HeapKernelCap<SchedContextCap>,
                              public schema::wire::SchedulingContext::Server {
 public:
  static bool holds_type(ObjType t) { return t == ObjType::SchedulingContext; }
  // The root context init gets: the highest weight, no budget.
  static Ref<SchedContextCap> create_root();

  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status info(schema::wire::SchedulingContext::InfoParams::Reader p,
              schema::wire::SchedulingContext::InfoResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status mint(schema::wire::SchedulingContext::MintParams::Reader p,
              schema::wire::SchedulingContext::MintResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status bindThread(schema::wire::SchedulingContext::BindThreadParams::Reader p,
                    schema::wire::SchedulingContext::BindThreadResults::Builder r)
      CAPOS_REQUIRES(g_kernel_lock) override;
  Status bindProcess(schema::wire::SchedulingContext::BindProcessParams::Reader p,
                     schema::wire::SchedulingContext::BindProcessResults::Builder r)
      CAPOS_REQUIRES(g_kernel_lock) override;

  // Binds every thread of `p` (and those it starts later) to this
  // context: SpawnRequest.runOn and bindProcess.
  void bind_process(Process& p) CAPOS_REQUIRES(g_kernel_lock);

 private:
  SchedContextCap(Ref<SchedContextCap> parent, uint32_t weight, uint32_t budget_us, uint32_t period_us);
  friend class HeapKernelCap<SchedContextCap>;

  Ref<SchedContextCap> parent_;  // keeps the parent Budget alive
  uint32_t weight_, budget_us_, period_us_;
  sched::Budget budget_;
};

}  // namespace capos
