// The test image's side of kernel/boot/test_entry.h: `capos.test=<name>`
// and `capos.bench=1` select a boot self test (kernel/selftest.h), and a
// bare static ELF boot module is a single test program started as init.
#include "kernel/boot/init_loader.h"
#include "kernel/boot/test_entry.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/frames.h"
#include "kernel/proc/process.h"
#include "kernel/selftest.h"
#include "lib/core/cstring.h"
#include "schema/kernel.capnp.capos.h"

namespace capos::test_entry {

void run_selected(const BootInfo& bi) {
  char test[32];
  // capos.bench=1: the bench; =scale1: with the SMP scaling rows forced on
  // at -smp 1 (their instruction counts under icount, docs/benchmarks.md).
  bool bench = bi.cmdline_value("capos.bench", test, sizeof(test)) &&
               (strcmp(test, "1") == 0 || strcmp(test, "scale1") == 0);
  if (bench) memcpy(test, strcmp(test, "1") == 0 ? "bench" : "bench_scale1", 13);
  if (!bench && !bi.cmdline_value("capos.test", test, sizeof(test))) return;
  Bytes module;
  if (bi.module_count == 1)
    module = Bytes(static_cast<const uint8_t*>(frames::phys_to_virt(bi.modules[0].phys)), bi.modules[0].size);
  selftest::run(test, module);
}

bool start_bare_program(Bytes image) {
  static const uint8_t ELF_MAGIC[4] = {0x7F, 'E', 'L', 'F'};
  if (image.size() < 4 || memcmp(image.data(), ELF_MAGIC, 4) != 0) return false;
  auto p = Process::create("init", image);
  if (!p) panic("boot: cannot start init from the boot module: {} ({})", err_name(p.error().code), p.error().detail);
  // A bare test program gets the console and the timer, made like any
  // manifest-granted kernel cap.
  static const struct {
    const char* name;
    schema::wire::KernelCapKind kind;
  } caps[] = {{"console", schema::wire::KernelCapKind::CONSOLE}, {"timer", schema::wire::KernelCapKind::TIMER}};
  for (const auto& c : caps) {
    uint64_t iface = 0;
    Ref<KObject> obj = make_kernel_cap(c.kind, **p, &iface);
    Status st = obj ? (*p)->grant(c.name, move(obj), iface) : Status(fail(Err::OutOfMemory));
    if (!st) panic("boot: cannot grant init its '{}' capability: {}", c.name, err_name(st.error()));
  }
  (*p)->set_shutdown_on_exit();
  klog("capOS: starting init (pid {})\n", (*p)->pid());
  (*p)->start();
  return true;
}

}  // namespace capos::test_entry
