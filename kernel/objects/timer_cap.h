// Timer: monotonic time (TSC-derived, ns since timer init) and sleeping.
// A sleep is asynchronous: the CALL stays pending (the caller's ring keeps
// running) and completes at the first deferred timer work past its
// deadline (kernel/sched/deferred.h): one tick (10 ms) while CPUs are busy;
// an idle boot CPU arms a one-shot for the earliest sleep (docs/smp.md).
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class TimerCap final : public HeapKernelCap<TimerCap>, public schema::wire::Timer::Server {
 public:
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  // Completes every sleep whose deadline has passed (deferred timer work).
  static void expire() CAPOS_REQUIRES(g_kernel_lock);
  // The earliest sleep deadline (monotonic ns; ~0 = no sleeper), for the
  // boot CPU's tickless idle.
  static uint64_t next_deadline() CAPOS_REQUIRES(g_kernel_lock);

  // Timer.now through the kernel-cap fast path (the same builder and method).
  Result<uint32_t> fast_reply(uint64_t interface_id, uint16_t method_id, MutBytes out)
      CAPOS_REQUIRES(g_kernel_lock) override;

  Status now(schema::wire::Timer::NowParams::Reader, schema::wire::Timer::NowResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status sleep(schema::wire::Timer::SleepParams::Reader p, schema::wire::Timer::SleepResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status sleepUntil(schema::wire::Timer::SleepUntilParams::Reader p,
                    schema::wire::Timer::SleepUntilResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  TimerCap() : HeapKernelCap(ObjType::Timer) {}
  friend class HeapKernelCap<TimerCap>;
};

}  // namespace capos
