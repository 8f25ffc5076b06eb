// Console: the serial console as a capability. write/writeLine are bounded
// (schema maxConsoleWriteBytes); read takes bytes from the COM1 receive
// buffer fed by the RX interrupt; a blocking read is a deferred CALL that
// the deferred console-input work completes once bytes arrive.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "schema/kernel.capnp.capos.h"

namespace capos {

class ConsoleCap final : public HeapKernelCap<ConsoleCap>, public schema::wire::Console::Server {
 public:
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;

  Status write(schema::wire::Console::WriteParams::Reader p, schema::wire::Console::WriteResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status writeLine(schema::wire::Console::WriteLineParams::Reader p,
                   schema::wire::Console::WriteLineResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status read(schema::wire::Console::ReadParams::Reader p, schema::wire::Console::ReadResult::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

  // RX interrupt: records that input arrived (no work in the handler).
  static void input_arrived();
  // Deferred work: completes the pending blocking read, if any.
  static void deliver_input() CAPOS_REQUIRES(g_kernel_lock);

 private:
  ConsoleCap() : HeapKernelCap(ObjType::Console) {}
  friend class HeapKernelCap<ConsoleCap>;
};

}  // namespace capos
