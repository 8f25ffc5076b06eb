// Measurement kernel only (CAPOS_MEASURE=1); see measure.h.
#include "kernel/debug/measure.h"

#if defined(CAPOS_MEASURE) && CAPOS_MEASURE

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/dev/serial.h"
#include "lib/core/format.h"

namespace capos::measure {

namespace {

constexpr const char* NAMES[static_cast<int>(Seg::COUNT)] = {
    "user", "enter", "fetch", "lookup", "copyin", "decode", "body", "encode", "copyout",
    "ipc", "ipccopy", "header", "xfer", "post", "wake", "switch", "exit", "teardown", "walk"};

struct State {
  uint64_t last = 0;
  uint64_t window = 0;
  uint64_t probe = 0;
  Seg cur = Seg::User;
  uint64_t sum[static_cast<int>(Seg::COUNT)] = {};
  uint64_t n[static_cast<int>(Seg::COUNT)] = {};
};
State g;

inline uint64_t tsc() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
  return (uint64_t{hi} << 32) | lo;
}

}  // namespace

// Not inlined: every probe runs the same instructions, so one calibrated
// cost per probe is exact.
[[gnu::noinline]] void enter(Seg s) {
  uint64_t now = tsc();
  g.sum[static_cast<int>(g.cur)] += now - g.last;
  ++g.n[static_cast<int>(s)];
  g.last = now;
  g.cur = s;
}

Scope::Scope(Seg s) : saved_(g.cur) { enter(s); }

void init() {
  // Two back-to-back probes: the interval between their TSC reads is one
  // probe's own cost.
  Seg s = g.cur;
  uint64_t before = g.sum[static_cast<int>(s)];
  enter(s);
  uint64_t mid = g.sum[static_cast<int>(s)];
  enter(s);
  g.probe = g.sum[static_cast<int>(s)] - mid;
  g.sum[static_cast<int>(s)] = before;
  g.n[static_cast<int>(s)] -= 2;
  g.window = g.last;
}

void dump() {
  enter(g.cur);  // close the running interval
  char buf[768];
  size_t len = 0;
  auto put = [&](StrView v) {
    for (size_t i = 0; i < v.size() && len < sizeof(buf); ++i) buf[len++] = v.ptr[i];
  };
  char tmp[64];
  put(format_to(tmp, sizeof(tmp), "BENCH profile total={} probe={}", g.last - g.window, g.probe));
  for (int i = 0; i < static_cast<int>(Seg::COUNT); ++i) {
    if (!g.sum[i] && !g.n[i]) continue;
    put(format_to(tmp, sizeof(tmp), " {}={}:{}", NAMES[i], g.sum[i], g.n[i]));
    g.sum[i] = g.n[i] = 0;
  }
  put("\n");
  serial::write_raw(buf, len);
  g.last = g.window = tsc();
}

}  // namespace capos::measure

#endif
