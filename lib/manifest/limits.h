// Size bounds for a manifest. They keep every consumer's work and memory
// bounded (the kernel and init validate with fixed storage) and are far
// above what a real system needs. Changing one is a compatible tightening
// or loosening of what mkmanifest accepts; document it in
// docs/configuration.md.
#pragma once

#include "lib/abi/capset.h"
#include "lib/core/utility.h"

namespace capos::manifest {

constexpr size_t kMaxNameBytes = 32;    // binary, service, cap and export names
constexpr size_t kMaxBinaries = 64;
constexpr size_t kMaxServices = 64;
// A process's caps must fit its CapSet page.
constexpr size_t kMaxCapsPerProcess = min<size_t>(64, abi::CAPSET_MAX_ENTRIES);
constexpr size_t kMaxExportsPerService = 16;
constexpr size_t kMaxEnvPerService = 8;          // schema manifest.capnp maxServiceEnv
constexpr size_t kMaxEnvBytesPerService = 200;   // schema manifest.capnp maxServiceEnvBytes
constexpr size_t kMaxGrantPathNames = 8;      // schema manifest.capnp maxGrantPathNames
constexpr size_t kMaxDirectoryGrants = 64;    // `directory` cap sources in one manifest
constexpr uint64_t kMaxBinaryBytes = 16ull << 20;    // one ELF image
constexpr uint64_t kMaxPackageBytes = 64ull << 20;   // all images together
constexpr size_t kMaxMotdBytes = 4096;
constexpr size_t kMaxHostnameBytes = 63;             // one DNS label
constexpr size_t kMaxDeviceMatchesPerCap = 8;  // schema devices.capnp maxDeviceMatches
constexpr size_t kMaxDeviceMatches = 64;       // all CapEntry.devices lists together
constexpr uint32_t kMaxRestarts = 100;
constexpr uint32_t kMaxBackoffMs = 60000;

}  // namespace capos::manifest
