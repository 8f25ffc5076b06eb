// SystemStatus (read-only figures for diagnostics: memory, processes and
// their ledgers) and SystemControl (authority to stop the machine).
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class SystemStatusCap final : public KernelCap, public schema::wire::SystemStatus::Server {
 public:
  using SS = schema::wire::SystemStatus;
  static Ref<KObject> create();
  void invoke(CallContext& ctx) override;
  Status memory(SS::MemoryParams::Reader, SS::MemoryResults::Builder r) override;
  Status processes(SS::ProcessesParams::Reader p, SS::ProcessesResults::Builder r) override;
  Status selfLedger(SS::SelfLedgerParams::Reader, SS::SelfLedgerResults::Builder r) override;

 private:
  SystemStatusCap() : KernelCap(ObjType::SystemStatus) {}
  void destroy() override;
};

class SystemControlCap final : public KernelCap, public schema::wire::SystemControl::Server {
 public:
  using SC = schema::wire::SystemControl;
  static Ref<KObject> create();
  void invoke(CallContext& ctx) override;
  Status shutdown(SC::ShutdownParams::Reader p, SC::ShutdownResults::Builder r) override;

 private:
  SystemControlCap() : KernelCap(ObjType::SystemControl) {}
  void destroy() override;
};

}  // namespace capos
