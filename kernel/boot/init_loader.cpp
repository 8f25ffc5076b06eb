#include "kernel/boot/init_loader.h"

#include "kernel/boot/boot_package.h"
#include "kernel/boot/test_entry.h"
#include "kernel/objects/boot_package_cap.h"
#include "kernel/objects/console_cap.h"
#include "kernel/objects/device_caps.h"
#include "kernel/objects/endpoint_cap.h"
#include "kernel/objects/entropy_cap.h"
#include "kernel/objects/frame_alloc_cap.h"
#include "kernel/objects/log_reader_cap.h"
#include "kernel/objects/log_sink_cap.h"
#include "kernel/objects/spawner_cap.h"
#include "kernel/objects/system_caps.h"
#include "kernel/objects/timer_cap.h"
#include "kernel/objects/sched_context_cap.h"
#include "kernel/objects/thread_caps.h"
#include "kernel/objects/vm_cap.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/mm/frames.h"
#include "kernel/proc/process.h"
#include "kernel/dev/debug_exit.h"
#include "lib/core/cstring.h"
#include "lib/manifest/cap_matrix.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

namespace wire = schema::wire;

// A fresh kernel capability of `kind` for `receiver`, or null when this
// kernel has none. VirtualMemory is per process: bound to the receiver.
Ref<KObject> make_kernel_cap(wire::KernelCapKind kind, Process& receiver, uint64_t* iface) {
  switch (kind) {
    case wire::KernelCapKind::CONSOLE: *iface = wire::Console::kInterfaceId; return ConsoleCap::create();
    case wire::KernelCapKind::TIMER: *iface = wire::Timer::kInterfaceId; return TimerCap::create();
    case wire::KernelCapKind::PROCESS_SPAWNER:
      *iface = wire::ProcessSpawner::kInterfaceId;
      return SpawnerCap::create();
    case wire::KernelCapKind::BOOT_PACKAGE: *iface = wire::BootPackage::kInterfaceId; return BootPackageCap::create();
    case wire::KernelCapKind::ENTROPY_SOURCE:
      *iface = wire::EntropySource::kInterfaceId;
      return EntropyCap::create();
    case wire::KernelCapKind::VIRTUAL_MEMORY:
      *iface = wire::VirtualMemory::kInterfaceId;
      return VmCap::create(receiver.pid());
    case wire::KernelCapKind::THREAD_CONTROL:
      *iface = wire::ThreadControl::kInterfaceId;
      return ThreadControlCap::create(receiver.pid());
    case wire::KernelCapKind::THREAD_SPAWNER:
      *iface = wire::ThreadSpawner::kInterfaceId;
      return ThreadSpawnerCap::create(receiver.pid());
    case wire::KernelCapKind::FRAME_ALLOCATOR:
      *iface = wire::FrameAllocator::kInterfaceId;
      return FrameAllocCap::create();
    case wire::KernelCapKind::LOG_SINK: *iface = wire::LogSink::kInterfaceId; return LogSinkCap::create(StrView(receiver.name()));
    case wire::KernelCapKind::LOG_READER: *iface = wire::LogReader::kInterfaceId; return LogReaderCap::create();
    case wire::KernelCapKind::ENDPOINT_FACTORY:
      *iface = wire::EndpointFactory::kInterfaceId;
      return EndpointFactoryCap::make();
    case wire::KernelCapKind::SYSTEM_STATUS:
      *iface = wire::SystemStatus::kInterfaceId;
      return SystemStatusCap::create();
    case wire::KernelCapKind::SYSTEM_CONTROL:
      *iface = wire::SystemControl::kInterfaceId;
      return SystemControlCap::create();
    case wire::KernelCapKind::DEVICE_MANAGER:
      *iface = wire::DeviceManager::kInterfaceId;
      return DeviceManagerCap::create();
    case wire::KernelCapKind::SCHEDULING_CONTEXT:
      *iface = wire::SchedulingContext::kInterfaceId;
      return SchedContextCap::create_root();
    default: return {};
  }
}

namespace {

// A boot package this kernel cannot honour is bad input, not a kernel bug:
// one clear line and a clean stop (QEMU status 41), never a panic.
template <class... A> [[noreturn]] void refuse(StrView fmt, const A&... args) {
  char line[320];
  klog("capOS: boot refused: {}\n", format_to(line, sizeof line, fmt, args...));
  debug_exit::exit(debug_exit::BOOT_REFUSED);
}

void start_from_package(Bytes module) CAPOS_REQUIRES(g_kernel_lock) {
  if (auto loaded = boot_package::load(module); !loaded)
    refuse("the boot package is not usable: {}", static_cast<const char*>(loaded.error().line));
  log::set_level(boot_package::model().params.log_level);  // validated: a known LogLevel
  const manifest::InitDecl& init = boot_package::model().init;
  auto params = boot_package::manifest().getKernelParams();
  if (params && params->getDmaWithoutIommu()) {
    devices_set_dma_without_iommu(true);
    klog("devices: WARNING: kernelParams.dmaWithoutIommu: drivers may get DMA without an IOMMU; "
         "a faulty or hostile driver can then reach all memory\n");
  }
  Bytes image = boot_package::find_binary(init.binary);
  // InitProcess.limits: clamped to the kernel defaults (nothing above init
  // has a quota to bound it further).
  ResourceLedger::Limits want{};
  if (init.limits.present) {
    want.max[static_cast<int>(Res::CapSlots)] = init.limits.cap_slots;
    want.max[static_cast<int>(Res::FramePages)] = init.limits.frame_pages;
    want.max[static_cast<int>(Res::VirtualPages)] = init.limits.virtual_pages;
    want.max[static_cast<int>(Res::Threads)] = init.limits.threads;
    want.max[static_cast<int>(Res::OutstandingCalls)] = init.limits.outstanding_calls;
  }
  ResourceLedger::Limits limits = ResourceLedger::child_limits(want, ResourceLedger());
  if (limits.max[static_cast<int>(Res::CapSlots)] < init.caps.size())
    refuse("init has {} caps but initConfig.init.limits.capSlots is {}", init.caps.size(),
           limits.max[static_cast<int>(Res::CapSlots)]);
  auto p = Process::create("init", image, &limits);
  if (!p) refuse("cannot start init '{}': {} ({})", init.binary, err_name(p.error().code), p.error().detail);
  (*p)->watch()->set_binary(init.binary);
  for (size_t i = 0; i < init.caps.size(); ++i) {
    const manifest::CapDecl& c = init.caps[i];
    // validate_boot already applied the capability matrix; this is the
    // same table, consulted again where the cap is made.
    manifest::Cell cell = manifest::cell_for(manifest::Holder::Init, c.source, c.kernel_kind);
    if (cell.how != manifest::Delivery::Kernel) {
      Process::discard(*p);
      refuse("initConfig.init.caps[{}] (cap '{}'): not available to init: {}", i, c.name,
             cell.why ? cell.why : "not a kernel cap");
    }
    auto kind = static_cast<wire::KernelCapKind>(c.kernel_kind);
    const char* kind_name = manifest::kKernelCaps[c.kernel_kind].name;
    uint64_t iface = 0;
    Ref<KObject> obj = make_kernel_cap(kind, **p, &iface);
    // The matrix promises every Kernel cell; a missing case here is a kernel bug.
    if (!obj && iface == 0) panic("boot: the capability matrix promises '{}' for init, but make_kernel_cap has no case", kind_name);
    if (!obj) refuse("init cap '{}': out of memory creating '{}'", c.name, kind_name);
    if (c.interface_id && c.interface_id != iface)
      refuse("initConfig.init.caps[{}] (cap '{}'): declared interface {:#x} but '{}' serves {:#x}", i, c.name,
             c.interface_id, kind_name, iface);
    Status st = (*p)->grant(c.name, move(obj), iface);
    if (!st) refuse("cannot grant init cap '{}': {}", c.name, err_name(st.error()));
  }
  (*p)->set_shutdown_on_exit();
  klog("capOS: boot package: {} binaries, init '{}' with {} caps (pid {})\n", boot_package::binary_count(),
       init.binary, init.caps.size(), (*p)->pid());
  (*p)->start();
}

}  // namespace

void start_init(const BootInfo& bi) {
  if (bi.module_count != 1)
    panic("boot: expected exactly one boot module (the boot package), the loader passed {}", bi.module_count);
  const BootModule& m = bi.modules[0];
  Bytes image(static_cast<const uint8_t*>(frames::phys_to_virt(m.phys)), m.size);
  // Only the test image accepts a bare ELF (a single test program,
  // kernel/boot/test_entry.h); anything else must be a boot package.
  if (!test_entry::start_bare_program(image)) start_from_package(image);
}

}  // namespace capos
