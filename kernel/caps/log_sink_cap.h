// The kernel LogSink: `[log <level>] <message>` lines on the console, for
// processes (init) that log before a log service exists.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class LogSinkCap final : public HeapKernelCap<LogSinkCap>, public schema::wire::LogSink::Server {
 public:
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status log(schema::wire::LogSink::LogParams::Reader p, schema::wire::LogSink::LogResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  LogSinkCap() : HeapKernelCap(ObjType::LogSink) {}
  friend class HeapKernelCap<LogSinkCap>;
};

}  // namespace capos
