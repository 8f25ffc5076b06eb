#include "kernel/selftest.h"

#include "kernel/proc/shared_image.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/dev/serial.h"
#include "kernel/dev/timer.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/selftest_internal.h"
#include "lib/core/cstring.h"

namespace capos::selftest {

namespace {

// Proves interrupts and the timer work, then shuts down cleanly.
[[noreturn]] void boot_check() {
  uint64_t start = timer::ticks();
  uint64_t t0 = timer::now_ns();
  while (timer::ticks() < start + 5) arch::hlt();
  uint64_t ms = (timer::now_ns() - t0) / 1000000;
  klog("selftest boot: 5 timer ticks in {} ms\n", ms);
  klog("capOS: selftest boot ok\n");
  debug_exit::exit(debug_exit::SUCCESS);
}

// Heap and frame allocator round trip: everything returns to baseline.
[[noreturn]] void memory_check() {
  uint64_t before = frames::free_count();
  size_t live_before = heap::stats().allocations;
  void* ptrs[256];
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 256; ++i) {
      ptrs[i] = heap::alloc(static_cast<size_t>(16 << (i % 10)));
      if (!ptrs[i]) panic("selftest memory: heap exhausted at {}", i);
      memset(ptrs[i], 0xA5, static_cast<size_t>(16 << (i % 10)));
    }
    for (int i = 255; i >= 0; --i) heap::free(ptrs[i]);
  }
  uint64_t after = frames::free_count();
  size_t live_after = heap::stats().allocations;
  klog("selftest memory: free frames {} -> {}, heap live allocations {} -> {}\n", before, after, live_before,
       live_after);
  if (before != after || live_before != live_after) panic("selftest memory: leak detected");
  klog("capOS: selftest memory ok\n");
  debug_exit::exit(debug_exit::SUCCESS);
}

// Creates, runs and reaps 200 processes from the boot module (a program
// that exits at once); free frames and the heap must return to baseline.
// The module's read-only pages are filled once and shared by all 200
// (kernel/proc/shared_image.h); they stay filled while the image exists,
// so the baseline is taken once the image is forgotten: exactly one image
// was held, and forgetting it gives back every one of its frames.
Bytes g_module;

void procloop_thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  constexpr int ROUNDS = 200;
  auto settle = settle_processes;
  settle();
  uint64_t frames_before = frames::free_count();
  size_t heap_before = heap::stats().allocations;
  for (int i = 0; i < ROUNDS; ++i) {
    auto p = Process::create("loop", g_module);
    if (!p) panic("selftest procloop: create #{} failed: {} ({})", i, err_name(p.error().code), p.error().detail);
    (*p)->start();
    settle();
  }
  uint32_t images = shared_images::images();
  uint64_t shared = shared_images::frames_held();
  if (images != 1 || shared == 0)
    panic("selftest procloop: {} shared images holding {} frames after the loop (expected 1, > 0)", images, shared);
  shared_images::forget(g_module);
  if (shared_images::images() != 0) panic("selftest procloop: the forgotten image is still held");
  klog("selftest procloop: 200 processes shared one image of {} frames\n", shared);
  uint64_t frames_after = frames::free_count();
  size_t heap_after = heap::stats().allocations;
  klog("selftest procloop: {} processes; free frames {} -> {}; heap allocations {} -> {}\n", ROUNDS,
       frames_before, frames_after, heap_before, heap_after);
  if (frames_after != frames_before || heap_after != heap_before) panic("selftest procloop: leak detected");
  klog("capOS: selftest procloop ok\n");
  debug_exit::exit(debug_exit::SUCCESS);
}

[[noreturn]] void procloop(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (module.empty()) panic("selftest procloop: needs a boot module (a program that exits)");
  g_module = module;
  auto t = Thread::create_kernel("selftest", procloop_thread, nullptr);
  if (!t) panic("selftest procloop: no thread");
  sched::make_runnable(*t);
  sched::start();
}

// Reads one line from the serial port through the RX interrupt path.
[[noreturn]] void serial_echo() {
  klog("selftest serial: type a line\n");
  char line[128];
  size_t n = 0;
  uint64_t deadline = timer::ticks() + 30 * timer::TICK_HZ;
  while (timer::ticks() < deadline) {
    char c;
    while (serial::read(&c, 1) == 1) {
      if (c == '\r' || c == '\n') {
        klog("selftest serial: got '{}' ({} bytes, {} dropped)\n", StrView(line, n), n, serial::take_dropped());
        klog("capOS: selftest serial ok\n");
        debug_exit::exit(debug_exit::SUCCESS);
      }
      if (n < sizeof(line)) line[n++] = c;
    }
    arch::hlt();  // woken by the RX interrupt
  }
  panic("selftest serial: no line within 30 s");
}

[[gnu::noinline]] void trigger_page_fault() {
  // A non-canonical-free, unmapped user-half address: a plain #PF.
  volatile uint64_t* p = reinterpret_cast<volatile uint64_t*>(0xdead0000ull);
  *p = 0x42;
}

volatile uint64_t g_recursion_limit = ~0ull;  // never reached: the stack overflows first

[[gnu::noinline]] uint64_t recurse_forever(uint64_t depth) {
  volatile uint8_t pad[512];
  pad[0] = static_cast<uint8_t>(depth);
  if (depth >= g_recursion_limit) return pad[0];
  uint64_t r = recurse_forever(depth + 1) + pad[0];
  return r;
}

}  // namespace

void settle_processes() CAPOS_REQUIRES(g_kernel_lock) {
  while (Process::live_count() > 0) sched::yield();
  for (int i = 0; i < 4; ++i) sched::yield();  // let the reaper free stacks
}

void run(const char* name, Bytes module) {
  klog("selftest: {}\n", name);
  if (strcmp(name, "procloop") == 0) procloop(module);
  if (strcmp(name, "ipc") == 0) run_ipc(module);
  if (strcmp(name, "hostile") == 0) run_hostile(module);
  if (strcmp(name, "bench") == 0) run_bench(module, false);
  if (strcmp(name, "bench_scale1") == 0) run_bench(module, true);
  if (strcmp(name, "memory_caps") == 0) run_memory_caps(module);
  if (strncmp(name, "issue22_", 8) == 0) run_issue22(name, module);
  if (strcmp(name, "liveness") == 0 || strcmp(name, "quota_isolation") == 0 || strcmp(name, "kill_anytime") == 0 ||
      strcmp(name, "poll_handoff") == 0)
    run_liveness(name, module);
  if (strcmp(name, "threads") == 0) run_threads(module);
  if (strcmp(name, "tlb_shootdown") == 0) run_tlb_shootdown(module);
  if (strcmp(name, "smp_stress") == 0) run_smp_stress(module);
  if (strcmp(name, "tickless") == 0) run_tickless(module);
  if (strcmp(name, "shared_image") == 0) run_shared_image(module);
  if (strcmp(name, "boot") == 0) boot_check();
  if (strcmp(name, "memory") == 0) memory_check();
  if (strcmp(name, "serial") == 0) serial_echo();
  if (strcmp(name, "pagefault") == 0) {
    trigger_page_fault();
    panic("selftest pagefault: the fault did not happen");
  }
  if (strcmp(name, "doublefault") == 0) {
    recurse_forever(0);
    panic("selftest doublefault: recursion returned");
  }
  if (strcmp(name, "panic") == 0) panic("selftest panic: requested by the command line");
  panic("selftest: unknown test '{}'", name);
}

}  // namespace capos::selftest
