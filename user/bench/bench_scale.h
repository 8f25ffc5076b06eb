// SMP scaling rows (issue 15; docs/benchmarks.md): the sieve workload
// (lib/bench/sieve.h) split over 1 and 2 worker threads (thread_scale_w*)
// or worker processes (process_scale_w*), timed as a whole. A row is
// printed only if the workers' combined count and sum match the known
// answer; on one CPU the rows say so instead of measuring nothing.
#pragma once

#include <stdint.h>

#include "schema/process.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::bench {

// What the kernel counted since boot (SystemStatus.cpus), read around each
// row so the row says whether the kernel lock or TLB shootdowns limited
// it. (Busy cycles are not used: a CPU's count grows only when its thread
// is switched out, so it lags by a whole sample for a worker that never
// blocks.)
struct KernelCounters {
  uint64_t lock_waits = 0, shootdowns = 0;
};

// `cpus` from SystemStatus.cpus; `tsc` reads the cycle counter the other
// rows use; `spawner` may be invalid (no process rows then); `counters`
// may be null (the rows then carry no kernel figures).
void run_scale_rows(uint32_t cpus, uint64_t (*tsc)(), uint64_t tsc_hz,
                    const rt::Cap<schema::wire::ProcessSpawner>* spawner, KernelCounters (*counters)());

}  // namespace capos::bench
