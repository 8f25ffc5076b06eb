// capos.bench=1: runs user/bench/bench_capos.cpp (the boot module) as an
// echo server plus a driver that prints BENCH rows (docs/benchmarks.md).
// capos.bench=scale1: the same, with the SMP scaling rows run on one CPU.
#include "kernel/boot/boot_package.h"
#include "kernel/objects/console_cap.h"
#include "kernel/objects/spawner_cap.h"
#include "kernel/objects/thread_caps.h"
#include "kernel/objects/timer_cap.h"
#include "kernel/debug/log.h"
#include "kernel/debug/measure.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "kernel/objects/system_caps.h"
#include "kernel/selftest_internal.h"
#include "lib/core/cstring.h"

namespace capos::selftest {

namespace {

Bytes g_image;
bool g_scale_on_one_cpu = false;

Process* make(const char* name) CAPOS_REQUIRES(g_kernel_lock) {
  auto p = Process::create(name, g_image);
  if (!p) panic("bench: cannot create {}: {} ({})", name, err_name(p.error().code), p.error().detail);
  return *p;
}

void bench_thread(void*) CAPOS_REQUIRES(g_kernel_lock) {
  Ref<EndpointCore> core = EndpointCore::create(0);
  Process* server = make("bench-server");
  Process* driver = make("bench");
  bool ok = server->grant("endpoint", Ref<KObject>(EndpointOwner::create(core)), 0) &&
            driver->grant("console", ConsoleCap::create(), schema::wire::Console::kInterfaceId) &&
            driver->grant("timer", TimerCap::create(), schema::wire::Timer::kInterfaceId) &&
            driver->grant("client", Ref<KObject>(ClientEndpoint::create(core)), 0) &&
            driver->grant("spare", Ref<KObject>(ClientEndpoint::create(core)), 0) &&
            driver->grant("threads", ThreadSpawnerCap::create(driver->pid()), schema::wire::ThreadSpawner::kInterfaceId) &&
            driver->grant("thread", ThreadControlCap::create(driver->pid()), schema::wire::ThreadControl::kInterfaceId) &&
            driver->grant("status", SystemStatusCap::create(), schema::wire::SystemStatus::kInterfaceId);
  // With a boot package (bench_capos + exit_zero) the driver can also
  // measure spawn + wait.
  if (ok && boot_package::loaded())
    ok = driver->grant("spawner", SpawnerCap::create(), schema::wire::ProcessSpawner::kInterfaceId).ok();
  // Its presence is the flag (the cap itself is a Console, never called).
  if (ok && g_scale_on_one_cpu)
    ok = driver->grant("scale_on_one_cpu", ConsoleCap::create(), schema::wire::Console::kInterfaceId).ok();
  if (!ok) panic("bench: grants failed");
  core.reset();
  Ref<ExitWatch> ws = server->share_watch(), wd = driver->share_watch();
  server->start();
  driver->start();
  wd->wait();
  server->request_kill();
  ws->wait();
  const ExitStatus& st = wd->status();
  if (st.kind != ExitStatus::Kind::Exited || st.code != 0) panic("bench: driver failed (code {})", st.code);
  debug_exit::exit(debug_exit::SUCCESS);
}

}  // namespace

void run_bench(Bytes module, bool scale_on_one_cpu) CAPOS_REQUIRES(g_kernel_lock) {
  g_scale_on_one_cpu = scale_on_one_cpu;
  if (module.empty()) panic("bench: needs build/bench.bin (or user/bench_capos.elf) as the boot module");
  static const uint8_t ELF_MAGIC[4] = {0x7F, 'E', 'L', 'F'};
  if (module.size() >= 4 && memcmp(module.data(), ELF_MAGIC, 4) == 0) {
    g_image = module;
  } else {
    if (auto loaded = boot_package::load(module); !loaded) panic("bench: bad boot package: {}", loaded.error().line);
    g_image = boot_package::find_binary("bench_capos");
    if (g_image.empty()) panic("bench: the package has no bench_capos");
  }
  CAPOS_MEASURE_INIT();  // measurement kernel only: calibrate the probe cost
  auto t = Thread::create_kernel("bench", bench_thread, nullptr);
  if (!t) panic("bench: no thread");
  sched::make_runnable(*t);
  sched::start();
}

}  // namespace capos::selftest
