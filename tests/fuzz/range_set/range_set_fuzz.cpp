// libFuzzer target for lib/mm/range_set: the input is an operation stream
// (first byte picks capacity and mode), run against the page-map model.
// Any disagreement, broken invariant or partial failure aborts.
#include <cstdio>
#include <cstdlib>

#include "tests/fuzz/range_set/range_set_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t pos = 1;
  auto src = [&]() -> uint8_t { return pos < size ? data[pos++] : 0; };
  size_t cap = 1 + data[0] % 16;
  bool split = (data[0] & 0x80) != 0;
  rs_model::Harness h(cap, split, src);
  while (pos < size) {
    std::string err = h.step();
    if (!err.empty()) {
      fprintf(stderr, "range_set model mismatch: %s\n", err.c_str());
      abort();
    }
  }
  return 0;
}
