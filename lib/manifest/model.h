// Plain, runtime-independent model of a SystemManifest (schema/manifest.capnp)
// for the authority-graph validator. It owns nothing: names are views into
// whatever decoded the manifest (libcapnp in mkmanifest, the freestanding
// reader in init/kernel), lists are spans over caller storage. So the same
// validator runs in the kernel, in init and in host tools without a capnp
// runtime or an allocator.
#pragma once

#include "lib/core/cstring.h"
#include "lib/core/span.h"

namespace capos::manifest {

// Mirrors schema KernelCapKind (same ordinals). Kept as a raw integer in
// CapDecl because a manifest may carry an ordinal this build does not know.
enum class KernelCapKind : uint16_t {
  Console = 0,
  Timer = 1,
  EntropySource = 2,
  VirtualMemory = 3,
  FrameAllocator = 4,
  ProcessSpawner = 5,
  BootPackage = 6,
  ThreadControl = 7,
  ThreadSpawner = 8,
  LogSink = 9,
  LogReader = 10,
  EndpointFactory = 11,
  SystemStatus = 12,
  SystemControl = 13,
  DeviceManager = 14,
  SchedulingContext = 15,
};
constexpr uint16_t kKernelCapKindCount = 16;

// Directory: a (sub-)directory of a service's Directory export, narrowed by init.
enum class SourceKind : uint8_t { Kernel, Endpoint, Service, Directory };

// One CapEntry.devices entry: a PCI identity a narrowed DeviceManager covers.
struct DeviceMatchDecl {
  uint16_t vendor = 0;
  uint16_t device = 0;
};

// One CapEntry.
struct CapDecl {
  StrView name;
  uint64_t interface_id = 0;
  SourceKind source = SourceKind::Kernel;
  uint8_t device_count = 0;           // CapEntry.devices: Manifest::device_matches[device_first, +count)
  uint16_t kernel_kind = 0;           // source == Kernel (raw KernelCapKind)
  uint16_t device_first = 0;
  uint8_t dir_path = 0;               // source == Directory: its path is Manifest::dir_paths[dir_path]
  bool dir_writable = false;          // source == Directory: writable, else a read-only facet
  uint64_t served_interface_id = 0;   // source == Endpoint
  StrView service;                    // source == Service or Directory: exporting service
  StrView export_name;                // source == Service or Directory: its export
  bool has_schedule = false;          // CapEntry.schedule (only on a service's schedulingContext)
  uint32_t sched_weight = 0, sched_budget_us = 0, sched_period_us = 0;
  StrView secret;                     // kernel BootPackage only: the one secret binary it may read
};

struct ExportDecl {
  StrView name;
  StrView cap;  // a CapDecl of the same service with an Endpoint source
};

enum class RestartKind : uint8_t { Never, OnFailure };

struct RestartPolicy {
  RestartKind kind = RestartKind::Never;
  uint32_t max_restarts = 0;
  uint32_t backoff_ms = 0;
};

// schema ResourceLimits (0 = the kernel default); `present` is false for null.
struct LimitsDecl {
  bool present = false;
  uint32_t cap_slots = 0, frame_pages = 0, virtual_pages = 0, threads = 0, outstanding_calls = 0;
};

struct ServiceDecl {
  StrView name;
  StrView binary;
  Span<const CapDecl> caps;
  Span<const ExportDecl> exports;
  RestartPolicy restart;
  LimitsDecl limits;
  Span<const StrView> env;  // "NAME=value" entries (Service.env)
  StrView run_on;           // a schedulingContext cap of this service, or empty (Service.runOn)
};

struct BinaryDecl {
  StrView name;
  uint64_t size = 0;  // 0 in the metadata view init reads (data stripped)
  bool data = false;    // schema BinaryKind.data or .secret: never run as a program
  bool secret = false;  // schema BinaryKind.secret: read only through a BootPackage narrowed to it
};

struct InitDecl {
  StrView binary;
  Span<const CapDecl> caps;
  LimitsDecl limits;
};

struct KernelParamsDecl {
  StrView motd;
  StrView hostname;
  uint16_t log_level = 2;  // schema LogLevel ordinal (info)
};

struct Manifest {
  uint32_t schema_version = 0;
  Span<const BinaryDecl> binaries;
  InitDecl init;
  Span<const ServiceDecl> services;
  KernelParamsDecl params;
  Span<const DeviceMatchDecl> device_matches;  // every CapEntry.devices list, back to back
  Span<const StrView> dir_paths;               // every directory source's path, in order
};

}  // namespace capos::manifest
