// LogReader: reads the kernel log ring (kernel/debug/log.h) from a cursor.
// Records are returned as stored (the reader escapes them for display);
// a read returns as many as fit the caller's result buffer, so a small
// buffer only means more reads.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class LogReaderCap final : public HeapKernelCap<LogReaderCap>, public schema::wire::LogReader::Server {
 public:
  using LR = schema::wire::LogReader;
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status read(LR::ReadParams::Reader p, LR::ReadResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  LogReaderCap() : HeapKernelCap(ObjType::LogReader) {}
  friend class HeapKernelCap<LogReaderCap>;
};

}  // namespace capos
