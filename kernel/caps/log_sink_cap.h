// The kernel LogSink: `[log <level>] <message>` lines on the console, for
// processes (init) that log before a log service exists.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class LogSinkCap final : public KernelCap, public schema::wire::LogSink::Server {
 public:
  static Ref<KObject> create();
  void invoke(CallContext& ctx) override;
  Status log(schema::wire::LogSink::LogParams::Reader p, schema::wire::LogSink::LogResults::Builder r) override;

 private:
  LogSinkCap() : KernelCap(ObjType::LogSink) {}
  void destroy() override;
};

}  // namespace capos
