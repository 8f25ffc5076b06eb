// SystemStatus (read-only figures for diagnostics: memory, processes and
// their ledgers) and SystemControl (authority to stop the machine).
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class SystemStatusCap final : public HeapKernelCap<SystemStatusCap>, public schema::wire::SystemStatus::Server {
 public:
  using SS = schema::wire::SystemStatus;
  void invoke(CallContext& ctx) override;
  Status memory(SS::MemoryParams::Reader, SS::MemoryResults::Builder r) override;
  Status processes(SS::ProcessesParams::Reader p, SS::ProcessesResults::Builder r) override;
  Status selfLedger(SS::SelfLedgerParams::Reader, SS::SelfLedgerResults::Builder r) override;

 private:
  SystemStatusCap() : HeapKernelCap(ObjType::SystemStatus) {}
  friend class HeapKernelCap<SystemStatusCap>;
};

class SystemControlCap final : public HeapKernelCap<SystemControlCap>, public schema::wire::SystemControl::Server {
 public:
  using SC = schema::wire::SystemControl;
  void invoke(CallContext& ctx) override;
  Status shutdown(SC::ShutdownParams::Reader p, SC::ShutdownResults::Builder r) override;

 private:
  SystemControlCap() : HeapKernelCap(ObjType::SystemControl) {}
  friend class HeapKernelCap<SystemControlCap>;
};

}  // namespace capos
