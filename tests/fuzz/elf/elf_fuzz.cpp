// libFuzzer target for the ELF load planner: any byte string must either be
// rejected with a named rule or produce a plan satisfying every invariant.
// Sanitizers catch out-of-bounds reads and arithmetic UB along the way.
#include "lib/elf/loader.h"
#include "tests/host/elf/plan_invariants.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace capos::elf;
  auto r = plan_load(capos::Bytes(data, size));
  if (!r.ok()) {
    // A rejection must name its rule and its text.
    Diagnostic diag = r.error();
    if (diag.code == Reject::None || diag.reason != reject_reason(diag.code)) abort();
    return 0;
  }
  if (const char* v = test::plan_violation(*r, size)) {
    fprintf(stderr, "accepted plan violates invariant: %s\n", v);
    abort();
  }
  return 0;
}
