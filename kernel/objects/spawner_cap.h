// ProcessSpawner: starts a packaged binary with capabilities the caller
// chooses from its own table (sent beside the request as transfers), plus
// child-local endpoints. Returns a non-transferable ProcessHandle and a
// client facet for each child-local endpoint. All resources are reserved
// before the child exists; any failure leaves the caller unchanged.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/process.capnp.capos.h"

namespace capos {

class SpawnerCap final : public HeapKernelCap<SpawnerCap>, public schema::wire::ProcessSpawner::Server {
 public:
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status spawn(schema::wire::SpawnRequest::Reader req, schema::wire::SpawnResult::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  SpawnerCap() : HeapKernelCap(ObjType::ProcessSpawner) {}
  friend class HeapKernelCap<SpawnerCap>;
};

}  // namespace capos
