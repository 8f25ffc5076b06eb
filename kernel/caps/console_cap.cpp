#include "kernel/caps/console_cap.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/caps/kernel_server.h"
#include "kernel/debug/log.h"
#include "kernel/dev/serial.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"

namespace capos {

namespace wire = schema::wire;

namespace {
Thread* g_reader = nullptr;  // one blocked reader at a time (the terminal)
}

void ConsoleCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status ConsoleCap::write(wire::Console::WriteParams::Reader p, wire::Console::WriteResults::Builder r) {
  Bytes data = CAPOS_TRY(p.getData());
  if (data.size() > wire::MAX_CONSOLE_WRITE_BYTES) return fail(Err::InvalidArgument);
  // Raw: the schema promises no newline translation (the kernel log's
  // "\n" -> "\r\n" would double a terminal's own "\r\n").
  log::lock();
  serial::write_raw(reinterpret_cast<const char*>(data.data()), data.size());
  log::unlock();
  r.setWritten(static_cast<uint32_t>(data.size()));
  return {};
}

Status ConsoleCap::writeLine(wire::Console::WriteLineParams::Reader p, wire::Console::WriteLineResults::Builder) {
  StrView text = CAPOS_TRY(p.getText());
  if (text.size() + 1 > wire::MAX_CONSOLE_WRITE_BYTES) return fail(Err::InvalidArgument);
  log::lock();
  serial::write_raw(text.ptr, text.size());
  serial::write_raw("\r\n", 2);  // the schema's line ending on the wire
  log::unlock();
  return {};
}

Status ConsoleCap::read(wire::Console::ReadParams::Reader p, wire::Console::ReadResult::Builder r) {
  uint32_t max = p.getMaxBytes();
  if (max == 0 || max > wire::MAX_CONSOLE_READ_BYTES) return fail(Err::InvalidArgument);
  for (;;) {
    {
      arch::IrqGuard irq;
      if (serial::rx_available() > 0) break;
      if (!p.getBlock()) {
        r.setWouldBlock();
        return {};
      }
      if (g_reader && g_reader != sched::current()) return fail(Err::Busy);  // one reader at a time
      g_reader = sched::current();
      sched::block_current();
      g_reader = nullptr;
    }
    Process* self = sched::current()->process;
    if (self && self->kill_requested()) return fail(Err::Disconnected);
  }
  MutBytes out = CAPOS_TRY(r.initData(static_cast<uint32_t>(min(serial::rx_available(), size_t{max}))));
  size_t n = serial::read(reinterpret_cast<char*>(out.data()), out.size());
  (void)n;  // only this reader drains the buffer, so n == out.size()
  r.setDroppedBytes(static_cast<uint32_t>(serial::rx_dropped()));
  return {};
}

void ConsoleCap::input_arrived() {
  if (Thread* t = g_reader) sched::make_runnable(t);
}

}  // namespace capos
