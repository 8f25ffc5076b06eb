// Schema facts the validator needs, as freestanding constants: interface
// ids (explicit @ids in schema/*.capnp, which are ABI), the manifest schema
// version, and the KernelCapKind -> interface table. A host test checks
// every value against the official generated code, so they cannot drift.
#pragma once

#include "lib/manifest/model.h"

namespace capos::manifest {

constexpr uint32_t kManifestSchemaVersion = 1;  // manifest.capnp manifestSchemaVersion

namespace iface {
constexpr uint64_t Console = 0x8f19088a909c9924;
constexpr uint64_t Timer = 0xaac2d7d477ff51c2;
constexpr uint64_t EntropySource = 0x9095a2f3e0f89f42;
constexpr uint64_t VirtualMemory = 0xb93e05d3799c7711;
constexpr uint64_t FrameAllocator = 0xa41da258c70bbd66;
constexpr uint64_t ProcessSpawner = 0x8b9e8c8315bc4591;
constexpr uint64_t BootPackage = 0x83c0a3eb5c9cf710;
constexpr uint64_t ThreadControl = 0xe16dfdf1c287fb41;
constexpr uint64_t ThreadSpawner = 0xeea703d53cf64345;
constexpr uint64_t LogSink = 0xf756aa2c12c6e11e;
constexpr uint64_t LogReader = 0xb448a0f899244d11;
constexpr uint64_t EndpointFactory = 0xe4dd7a0644822583;
constexpr uint64_t SystemStatus = 0xa0b03850f93ad398;
constexpr uint64_t SystemControl = 0xfc533d5d816f4559;
constexpr uint64_t DeviceManager = 0xfb8a2930944ea952;
constexpr uint64_t SchedulingContext = 0xf818165167e6428a;
constexpr uint64_t Endpoint = 0x989a955cf40fdd7d;  // owner facet of an endpoint source
constexpr uint64_t Directory = 0x8bf9257ac020ae90;  // storage.capnp; what a directory source grants
}  // namespace iface

struct KernelCapInfo {
  const char* name;  // schema enumerant spelling, as written in the config
  uint64_t interface_id;
  bool per_process;  // created fresh per child, not copied from init
};

// Indexed by KernelCapKind ordinal.
inline constexpr KernelCapInfo kKernelCaps[kKernelCapKindCount] = {
    {"console", iface::Console, false},
    {"timer", iface::Timer, false},
    {"entropySource", iface::EntropySource, false},
    {"virtualMemory", iface::VirtualMemory, true},
    {"frameAllocator", iface::FrameAllocator, false},
    {"processSpawner", iface::ProcessSpawner, false},
    {"bootPackage", iface::BootPackage, false},
    {"threadControl", iface::ThreadControl, true},
    {"threadSpawner", iface::ThreadSpawner, true},
    {"logSink", iface::LogSink, true},
    {"logReader", iface::LogReader, false},
    {"endpointFactory", iface::EndpointFactory, false},
    {"systemStatus", iface::SystemStatus, false},
    {"systemControl", iface::SystemControl, false},
    {"deviceManager", iface::DeviceManager, false},
    {"schedulingContext", iface::SchedulingContext, false},
};

constexpr uint16_t kLogLevelCount = 5;  // capos.capnp LogLevel: error..trace

}  // namespace capos::manifest
