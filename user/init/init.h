// init's state: the decoded manifest, the caps it hands out, and one
// record per service. Split across init.cpp (boot, supervision loop),
// spawn.cpp (one SpawnRequest per service) and status.cpp (exit texts).
#pragma once

#include "lib/abi/capid.h"
#include "lib/manifest/model.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "user/rt/caps_call.h"

namespace capos::init {

enum class State : uint8_t { NotStarted, Running, Backoff, Stopped };

struct Child {
  const manifest::ServiceDecl* decl = nullptr;
  State state = State::NotStarted;
  rt::Cap<schema::wire::ProcessHandle> handle;  // non-transferable
  uint32_t pid = 0;
  uint32_t restarts = 0;
  bool waiting = false;   // a ProcessHandle.wait is in flight in `call`
  rt::AsyncCall call;     // the wait, or the backoff sleep
  alignas(8) uint8_t result[256];
};

// A published export: importers get COPY transfers of `cap`.
struct Provider {
  StrView service;
  StrView export_name;
  uint32_t cap = abi::CAPID_INVALID;
  uint64_t interface_id = 0;
};

struct Registry {
  // Init's own caps by KernelCapKind (from init's manifest entries), raw:
  // init only passes them on as grants; the two it calls are typed below.
  uint32_t kernel_caps[manifest::kKernelCapKindCount];
  Provider* providers = nullptr;  // kMaxServices * kMaxExportsPerService
  size_t n_providers = 0;
  rt::Cap<schema::wire::ProcessSpawner> spawner;
  rt::Cap<schema::wire::Timer> timer;
  // Every manifest CapEntry.devices list (CapDecl::device_first/count index it).
  Span<const manifest::DeviceMatchDecl> device_matches;
};

// Why a spawn failed: one line naming the cap, export or binary at fault
// (built from the manifest's names, so carried by value).
struct SpawnError {
  char line[200] = {};
};
// Spawns `c` through the registry's spawner.
Result<void, SpawnError> spawn(Registry& reg, Child& c);

// "code 0", "page fault at 0x... (ip 0x...)", "killed by its handle", ...
void describe_status(schema::wire::ExitStatus::Reader s, char* out, size_t len);
// Failure = any end other than exited(0) (manifest RestartPolicy).
bool is_failure(schema::wire::ExitStatus::Reader s);

}  // namespace capos::init
