// ThreadSpawner and ThreadControl: per-process kernel capabilities
// (child-local grants), bound to the process they were made for. A call
// from any other process is refused, so a transferred one grants nothing.
// ThreadSpawner starts threads in the caller's process; ThreadControl acts
// on the calling thread (docs/threads.md).
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/process.capnp.capos.h"

namespace capos {

class ThreadSpawnerCap final : public HeapKernelCap<ThreadSpawnerCap>, public schema::wire::ThreadSpawner::Server {
 public:
  static bool holds_type(ObjType t) { return t == ObjType::ThreadSpawner; }
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status spawn(schema::wire::ThreadSpawner::SpawnParams::Reader p,
               schema::wire::ThreadSpawner::SpawnResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  explicit ThreadSpawnerCap(uint32_t pid) : HeapKernelCap(ObjType::ThreadSpawner), pid_(pid) {}
  friend class HeapKernelCap<ThreadSpawnerCap>;
  uint32_t pid_;
};

class ThreadControlCap final : public HeapKernelCap<ThreadControlCap>, public schema::wire::ThreadControl::Server {
 public:
  static bool holds_type(ObjType t) { return t == ObjType::ThreadControl; }
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status setFsBase(schema::wire::ThreadControl::SetFsBaseParams::Reader p,
                   schema::wire::ThreadControl::SetFsBaseResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status exitThread(schema::wire::ThreadControl::ExitThreadParams::Reader p,
                    schema::wire::ThreadControl::ExitThreadResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status currentThread(schema::wire::ThreadControl::CurrentThreadParams::Reader p,
                       schema::wire::ThreadControl::CurrentThreadResults::Builder r)
      CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  explicit ThreadControlCap(uint32_t pid) : HeapKernelCap(ObjType::ThreadControl), pid_(pid) {}
  friend class HeapKernelCap<ThreadControlCap>;
  uint32_t pid_;
};

}  // namespace capos
