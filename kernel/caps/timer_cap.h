// Timer: monotonic time (TSC-derived, ns since timer init) and sleeping.
// A sleep blocks only the calling thread; a kill request ends it early.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class TimerCap final : public KernelCap, public schema::wire::Timer::Server {
 public:
  static Ref<KObject> create();
  void invoke(CallContext& ctx) override;

  Status now(schema::wire::Timer::NowParams::Reader, schema::wire::Timer::NowResults::Builder r) override;
  Status sleep(schema::wire::Timer::SleepParams::Reader p, schema::wire::Timer::SleepResults::Builder r) override;
  Status sleepUntil(schema::wire::Timer::SleepUntilParams::Reader p,
                    schema::wire::Timer::SleepUntilResults::Builder r) override;

 private:
  TimerCap() : KernelCap(ObjType::Timer) {}
  void destroy() override;
};

}  // namespace capos
