// The kernel LogSink: one console line per record,
//   [log <level> <source>] <message>
// for processes (init, services granted a child-local logSink) that log
// without a log service. The source name is fixed when the cap is made (the
// holder's process name) and the message is escaped (lib/core/escape.h):
// one record is one line, and nothing in it can pass for another origin.
// Records less severe than kernelParams.logLevel are dropped (accepted=false);
// kept ones also go to the kernel log ring (LogReader) with their source.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "lib/core/cstring.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class LogSinkCap final : public HeapKernelCap<LogSinkCap>, public schema::wire::LogSink::Server {
 public:
  static constexpr size_t SOURCE_MAX = 32;
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status log(schema::wire::LogSink::LogParams::Reader p, schema::wire::LogSink::LogResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  explicit LogSinkCap(StrView source);
  friend class HeapKernelCap<LogSinkCap>;
  char source_[SOURCE_MAX + 1] = {};
  size_t source_len_ = 0;
};

}  // namespace capos
