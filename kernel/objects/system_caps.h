// SystemStatus (read-only figures for diagnostics: memory, processes and
// their ledgers) and SystemControl (authority to stop the machine).
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class SystemStatusCap final : public HeapKernelCap<SystemStatusCap>, public schema::wire::SystemStatus::Server {
 public:
  using SS = schema::wire::SystemStatus;
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status memory(SS::MemoryParams::Reader, SS::MemoryResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status processes(SS::ProcessesParams::Reader p, SS::ProcessesResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status selfLedger(SS::SelfLedgerParams::Reader, SS::SelfLedgerResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status cpus(SS::CpusParams::Reader, SS::CpusResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  SystemStatusCap() : HeapKernelCap(ObjType::SystemStatus) {}
  friend class HeapKernelCap<SystemStatusCap>;
};

class SystemControlCap final : public HeapKernelCap<SystemControlCap>, public schema::wire::SystemControl::Server {
 public:
  using SC = schema::wire::SystemControl;
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status shutdown(SC::ShutdownParams::Reader p, SC::ShutdownResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  SystemControlCap() : HeapKernelCap(ObjType::SystemControl) {}
  friend class HeapKernelCap<SystemControlCap>;
};

}  // namespace capos
