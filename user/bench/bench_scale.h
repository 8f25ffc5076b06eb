// SMP scaling rows (issue 15; docs/benchmarks.md): the sieve workload
// (lib/bench/sieve.h) split over 1 and 2 worker threads (thread_scale_w*)
// or worker processes (process_scale_w*), timed as a whole, w1 and w2
// samples alternating (each pair printed as `BENCH pair=`). A row is
// printed only if the workers' combined count and sum match the known
// answer; on one CPU the rows say so instead of measuring nothing.
#pragma once

#include <stdint.h>

#include "schema/process.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::bench {

// `cpus` from SystemStatus.cpus; `tsc` reads the cycle counter the other
// rows use; `spawner` may be invalid (no process rows then). `force` runs
// the rows on one CPU too (capos.bench=scale1: their instruction counts
// under icount, e.g. process start-up = process_scale_w1 - thread_scale_w1).
void run_scale_rows(uint32_t cpus, uint64_t (*tsc)(), uint64_t tsc_hz,
                    const rt::Cap<schema::wire::ProcessSpawner>* spawner, bool force);

}  // namespace capos::bench
