// One worker of the process_scale bench row (user/bench/bench_scale.cpp):
// its share of the sieve workload is named by its one grant,
// "share.<part>.<parts>.<reps>" (a ThreadControl of itself: no authority
// beyond its own process). It sieves the share `reps` times and exits
// with (count << 40) | (sum mod 2^40), which the bench verifies.
#include "lib/bench/sieve.h"
#include "user/rt/capset.h"
#include "user/rt/rt.h"
#include "user/rt/syscall.h"

using namespace capos;

namespace {

// Parses the decimal number at *p up to '.' or the end; advances *p.
bool number(StrView s, size_t* p, uint32_t* out) {
  uint32_t v = 0;
  size_t start = *p;
  while (*p < s.size() && s[*p] >= '0' && s[*p] <= '9') v = v * 10 + static_cast<uint32_t>(s[(*p)++] - '0');
  if (*p == start) return false;
  if (*p < s.size() && s[*p] == '.') ++*p;
  *out = v;
  return true;
}

uint8_t g_seg[bench::SIEVE_SEGMENT];

}  // namespace

int main() {
  for (uint32_t i = 0; i < rt::capset_count(); ++i) {
    const abi::CapSetEntry* e = rt::capset_entry(i);
    if (!e) continue;
    StrView name = rt::capset_name(*e);
    if (!name.starts_with("share.")) continue;
    size_t p = 6;
    uint32_t part = 0, parts = 0, reps = 0;
    if (!number(name, &p, &part) || !number(name, &p, &parts) || !number(name, &p, &reps) || parts == 0 ||
        part >= parts || reps == 0)
      return 2;
    bench::SieveResult first{};
    for (uint32_t r = 0; r < reps; ++r) {
      bench::SieveResult got = bench::sieve_part(part, parts, g_seg);
      if (r == 0) first = got;
      else if (got.count != first.count || got.sum != first.sum) return 3;  // not deterministic: broken
    }
    rt::exit(static_cast<int64_t>((first.count << 40) | (first.sum & ((uint64_t{1} << 40) - 1))));
  }
  return 1;  // no share grant
}
