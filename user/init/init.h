// init's state: the decoded manifest, the caps it hands out, and one
// record per service. Split across init.cpp (boot, supervision loop),
// spawn.cpp (one SpawnRequest per service) and status.cpp (exit texts).
#pragma once

#include "lib/abi/capid.h"
#include "lib/manifest/model.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/posix.capnp.capos.h"
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
  // Service.env: the child's SpawnArguments client `args` and the
  // deliver queued on it (spawn.cpp); released once answered.
  uint32_t args = 0;
  rt::AsyncCall env_call;
  alignas(8) uint8_t env_result[64];
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
  Span<const StrView> dir_paths;
};

// Why a spawn failed: one line naming the cap, export or binary at fault
// (built from the manifest's names, so carried by value).
struct SpawnError {
  char line[200] = {};
};
// Spawns `c` through the registry's spawner; with a Service.env, also
// queues its environment (submit_env) for the supervision loop to collect.
Result<void, SpawnError> spawn(Registry& reg, Child& c);
// SpawnArguments.deliver(argv = {binary}, envp = env) on `c.args`, into
// `c.env_call`.
Status submit_env(Child& c);

// "code 0", "page fault at 0x... (ip 0x...)", "killed by its handle", ...
void describe_status(schema::wire::ExitStatus::Reader s, char* out, size_t len);
// Failure = any end other than exited(0) (manifest RestartPolicy).
bool is_failure(schema::wire::ExitStatus::Reader s);

}  // namespace capos::init
