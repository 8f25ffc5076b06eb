// The capability matrix: for every manifest cap source (each kernel cap
// kind, `endpoint`, a service import) and every holder (init, a manifest
// service, a ProcessSpawner child-local grant), whether this kernel can
// honour it and, if not, why. This table is the single source: the
// validator (mkmanifest, init, the kernel's boot boundary), the kernel's
// init loader, the spawner's child-local grants and the table in
// docs/configuration.md (printed by tools/capmatrix, checked by a test)
// all read it, so a shape one of them accepts can never be refused — or
// panic — in another.
#pragma once

#include "lib/manifest/model.h"
#include "lib/manifest/schema_ids.h"

namespace capos::manifest {

enum class Holder : uint8_t {
  Init,     // initConfig.init.caps: the kernel creates each cap for init
  Service,  // initConfig.services[].caps: init grants through ProcessSpawner
  Child,    // SpawnRequest grant, source childLocal (ProcessSpawner.spawn)
};
constexpr uint8_t kHolderCount = 3;

// How a holder gets a source, or that it cannot.
enum class Delivery : uint8_t {
  No,          // refused: see Cell::why
  Kernel,      // the kernel creates it for init at boot
  CopyOfInit,  // init passes a copy of its own cap of that kind
  ChildLocal,  // the spawner creates a fresh object for the child
  Import,      // init passes a copy of the exporter's client facet
};

struct Cell {
  Delivery how;
  const char* why;  // Delivery::No: one clause saying why (else nullptr)
};

// One row per source: kernel kinds by KernelCapKind ordinal, then these.
constexpr uint16_t kRowEndpoint = kKernelCapKindCount;
constexpr uint16_t kRowImport = kKernelCapKindCount + 1;
constexpr uint16_t kRowCount = kKernelCapKindCount + 2;

struct Row {
  const char* source;  // as written in the configuration
  Cell cell[kHolderCount];
};

namespace matrix_detail {
constexpr Cell K{Delivery::Kernel, nullptr};
constexpr Cell C{Delivery::CopyOfInit, nullptr};
constexpr Cell L{Delivery::ChildLocal, nullptr};
constexpr Cell I{Delivery::Import, nullptr};
constexpr const char* kShared = "it is one shared kernel object; grant a copy with a `transfer`";
constexpr Cell Shared{Delivery::No, kShared};
}  // namespace matrix_detail

// Indexed by row, then Holder.
inline constexpr Row kCapMatrix[kRowCount] = {
    // clang-format off
    {"kernel: console",         {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: timer",           {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: entropySource",   {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: virtualMemory",   {matrix_detail::K, matrix_detail::L, matrix_detail::L}},
    {"kernel: frameAllocator",  {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: processSpawner",  {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: bootPackage",     {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: threadControl",   {matrix_detail::K, matrix_detail::L, matrix_detail::L}},
    {"kernel: threadSpawner",   {matrix_detail::K, matrix_detail::L, matrix_detail::L}},
    {"kernel: logSink",         {matrix_detail::K, matrix_detail::L, matrix_detail::L}},
    {"kernel: logReader",       {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: endpointFactory", {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: systemStatus",    {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: systemControl",   {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: deviceManager",   {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"kernel: schedulingContext", {matrix_detail::K, matrix_detail::C, matrix_detail::Shared}},
    {"endpoint",                {{Delivery::No, "init serves nothing: no service runs before it, so nobody could import the endpoint"},
                                 matrix_detail::L, matrix_detail::L}},
    {"service (import)",        {{Delivery::No, "no service runs before init"},
                                 matrix_detail::I,
                                 {Delivery::No, "an import is a capability the caller holds; grant it with a `transfer`"}}},
    // clang-format on
};

constexpr const char* holder_name(Holder h) {
  switch (h) {
    case Holder::Init: return "init";
    case Holder::Service: return "service";
    case Holder::Child: return "spawn (childLocal)";
  }
  return "?";
}

// The cell for `c` held by `h`; an unknown kernel kind is refused.
constexpr Cell cell_for(Holder h, SourceKind src, uint16_t kernel_kind) {
  uint16_t row = src == SourceKind::Endpoint ? kRowEndpoint
                 : src == SourceKind::Service || src == SourceKind::Directory ? kRowImport
                                              : kernel_kind;
  if (row >= kRowCount) return Cell{Delivery::No, "unknown kernel cap kind"};
  return kCapMatrix[row].cell[static_cast<uint8_t>(h)];
}

constexpr bool honoured(Holder h, SourceKind src, uint16_t kernel_kind) {
  return cell_for(h, src, kernel_kind).how != Delivery::No;
}

// The matrix agrees with itself: a kind a service gets as a copy of init's
// cap is one the kernel makes for init; a child-local kind for services is
// one the spawner makes; per-process kinds are exactly the child-local ones.
constexpr bool matrix_consistent() {
  for (uint16_t k = 0; k < kKernelCapKindCount; ++k) {
    const Row& r = kCapMatrix[k];
    Delivery init = r.cell[0].how, svc = r.cell[1].how, child = r.cell[2].how;
    if (svc == Delivery::CopyOfInit && init != Delivery::Kernel) return false;
    if (svc == Delivery::ChildLocal && child != Delivery::ChildLocal) return false;
    if ((child == Delivery::ChildLocal) != kKernelCaps[k].per_process && child != Delivery::No) return false;
    for (const Cell& c : r.cell)
      if ((c.how == Delivery::No) != (c.why != nullptr)) return false;
  }
  return true;
}
static_assert(matrix_consistent(), "capability matrix contradicts itself");

}  // namespace capos::manifest
