// Per-segment instruction profile (issue 16; docs/benchmarks.md). Only the
// measurement kernel (build/kernel/capos-measure.elf, compiled with
// CAPOS_MEASURE=1, built by `make bench`) has probes: in every other
// build the macros below expand to nothing, so the normal kernel pays
// not one instruction for them.
//
// Model: one global "current segment". A probe reads the TSC, charges the
// time since the previous probe to the segment that was current, and makes
// its own segment current; a scope probe restores the previous segment when
// it ends (also correct across context switches: each thread's scopes
// restore what that thread saved). Under QEMU -icount shift=0 the TSC
// counts retired instructions, so the profile is an exact instruction
// count, including each probe's own cost, which the report subtracts
// (probes x `probe`).
//
// The console capability prints the profile accumulated since its previous
// write (`BENCH profile ...`) before each write, so the bench program's
// loop-begin/loop-end marker lines delimit exactly one row's loop.
#pragma once

#if defined(CAPOS_MEASURE) && CAPOS_MEASURE

#include <stdint.h>

namespace capos::measure {

enum class Seg : uint8_t {
  User,      // ring 3, syscall entry/exit stubs, interrupts
  Enter,     // cap_enter entry, loop and wait bookkeeping
  Fetch,     // SQE fetch and validation (NOPs complete here)
  Lookup,    // capability table lookup
  CopyIn,    // kernel-cap params copied into scratch, result buffer checked
  Decode,    // capnp params decode (reader limits, root)
  Body,      // method body (generated skeleton + handler)
  Encode,    // result framing / exception serialization
  CopyOut,   // result and result caps copied to the caller
  Ipc,       // endpoint records: call/recv/return state machine
  IpcCopy,   // endpoint user-to-user payload copy
  Header,    // endpoint message header (scoped-reference hash)
  Xfer,      // capability transfer prepare/commit
  Post,      // CQE post
  Wake,      // making a satisfied waiter runnable
  Switch,    // block, schedule, context switch
  Exit,      // exit_to_user (deferred work point)
  Teardown,  // process exit and reaping
  Walk,      // user address translation (page-table walks, demand-zero fault-in)
  COUNT
};

void enter(Seg s);
// Prints `BENCH profile total=... probe=... <seg>=<instructions>:<probes> ...`
// for everything since the previous dump, then starts a new window.
void dump();
void init();  // calibrates the probe cost

class Scope {
 public:
  explicit Scope(Seg s);
  ~Scope() { enter(saved_); }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Seg saved_;
};

}  // namespace capos::measure

#define CAPOS_MEASURE_CAT2(a, b) a##b
#define CAPOS_MEASURE_CAT(a, b) CAPOS_MEASURE_CAT2(a, b)
#define CAPOS_MEASURE_SEG(s) ::capos::measure::enter(::capos::measure::Seg::s)
#define CAPOS_MEASURE_SCOPE(s) \
  ::capos::measure::Scope CAPOS_MEASURE_CAT(measure_scope_, __LINE__)(::capos::measure::Seg::s)
#define CAPOS_MEASURE_DUMP() ::capos::measure::dump()
#define CAPOS_MEASURE_INIT() ::capos::measure::init()

#else

#define CAPOS_MEASURE_SEG(s) ((void)0)
#define CAPOS_MEASURE_SCOPE(s) ((void)0)
#define CAPOS_MEASURE_DUMP() ((void)0)
#define CAPOS_MEASURE_INIT() ((void)0)

#endif
