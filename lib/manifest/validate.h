// Authority-graph validator for a SystemManifest model. The same code runs in
// mkmanifest (build time), init (before spawning) and, for the init part,
// in the kernel (its boot boundary). Failures are values: a code for
// programs and one precise line for people, naming the service, the cap and
// what was expected versus found.
#pragma once

#include "lib/core/result.h"
#include "lib/manifest/limits.h"
#include "lib/manifest/model.h"

namespace capos::manifest {

enum class ErrorCode : uint8_t {
  SchemaVersion = 1,   // schemaVersion is not kManifestSchemaVersion
  TooMany,             // a list exceeds its bound
  Oversize,            // a binary or the whole package is too large
  BadName,             // empty, too long or disallowed characters
  DuplicateBinary,
  DuplicateService,
  DuplicateCap,        // two caps with one name in one process
  DuplicateExport,
  MissingBinary,       // init or a service names a binary not packaged
  EmptyBinary,         // a packaged binary has no data
  DataBinary,          // init or a service names a binary declared as data
  BadKernelParams,     // motd / hostname / logLevel out of contract
  BadKernelKind,       // KernelCapKind ordinal this build does not know
  NotHonoured,         // the capability matrix (cap_matrix.h) refuses the source for its holder
  SelfImport,          // a service imports its own export (a cycle)
  LaterService,        // import from a service listed later (would cycle)
  UnknownService,      // import from a service that does not exist
  UnknownExport,       // the exporting service has no such export
  InterfaceMismatch,   // declared interface id differs from the source's
  KernelCapNotHeld,    // service needs a copy of a kernel cap init lacks
  ExportUnknownCap,    // export names no cap of its service
  ExportNotEndpoint,   // export names a cap whose source is not an endpoint
  BadRestart,          // restart budget out of bounds
  BadDevices,          // CapEntry.devices off a service's deviceManager cap, or too many
  BadPath,             // a directory source's path does not only descend, or is too long
  BadSchedule,         // CapEntry.schedule off a service's schedulingContext cap, or one mint would refuse
  BadSecret,           // CapEntry.secret off a service's bootPackage cap, or naming no secret binary
  BadEnv,              // a Service.env entry is not NAME=value, repeats a name, or the list is too big
  BadRunOn,            // Service.runOn names no schedulingContext cap of the service
};

const char* error_code_name(ErrorCode c);

constexpr size_t kMaxMessageBytes = 256;

struct Error {
  ErrorCode code = ErrorCode::SchemaVersion;
  char message[kMaxMessageBytes] = {};
};

using Check = Result<void, Error>;

struct Options {
  // Require every binary's size in 1..kMaxBinaryBytes and the sum within
  // kMaxPackageBytes. Off for the metadata view (data stripped).
  bool require_binary_data = true;
  // Optional: readable name for an interface id, appended to messages as
  // "0x... (LogSink)". Returns nullptr when unknown.
  const char* (*interface_name)(uint64_t id) = nullptr;
};

// Kernel-owned boundary: schema version, binaries, kernel params and init
// (its binary and caps). Everything the kernel needs before starting init.
Check validate_boot(const Manifest& m, const Options& opt = {});

// The whole manifest: validate_boot plus the init-owned service graph.
Check validate(const Manifest& m, const Options& opt = {});

// Binary, service, cap and export names: 1..kMaxNameBytes of ASCII letters,
// digits, '-', '_' and '.'.
bool valid_name(StrView s);

}  // namespace capos::manifest
