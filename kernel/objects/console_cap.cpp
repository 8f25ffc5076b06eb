#include "kernel/objects/console_cap.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/debug/log.h"
#include "kernel/debug/measure.h"
#include "kernel/dev/serial.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/sched/deferred.h"
#include "lib/capnp/message.h"

namespace capos {

namespace wire = schema::wire;

namespace {

// The one pending blocking read (the terminal): a deferred CALL, so the
// reader's ring keeps running. Completed by the deferred console-input
// work once bytes are buffered; cancelled when its caller dies. Touched
// only with interrupts disabled.
class PendingRead final : public DeferredOwner {
 public:
  IpcCall* call = nullptr;  // owner_data: maxBytes
  void cancel(IpcCall* c) override {
    arch::IrqGuard irq;
    if (call == c) call = nullptr;
  }
};
PendingRead g_read;

// Fills `r` with what is buffered, up to `max` bytes.
Status take_input(uint32_t max, wire::Console::ReadResult::Builder r) {
  MutBytes out = CAPOS_TRY(r.initData(static_cast<uint32_t>(min(serial::rx_available(), size_t{max}))));
  size_t n = serial::read(reinterpret_cast<char*>(out.data()), out.size());
  if (n != out.size()) return fail(Err::Busy);  // only the reader drains the buffer: cannot happen
  r.setDroppedBytes(static_cast<uint32_t>(serial::take_dropped()));
  return {};
}

}  // namespace

void ConsoleCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status ConsoleCap::write(wire::Console::WriteParams::Reader p, wire::Console::WriteResults::Builder r) {
  CAPOS_MEASURE_DUMP();  // measurement kernel: the profile since the last write
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
  arch::IrqGuard irq;
  if (serial::rx_available() > 0 && !g_read.call) return take_input(max, r);
  if (!p.getBlock()) {
    r.setWouldBlock();
    r.setDroppedBytes(static_cast<uint32_t>(serial::take_dropped()));
    return {};
  }
  if (g_read.call) return fail(Err::Overloaded);  // one blocked reader at a time
  CallContext& ctx = current_call();
  g_read.call = CAPOS_TRY(ipc::defer_kernel_call(ctx, g_read, max));
  ctx.deferred = g_read.call;
  return {};
}

void ConsoleCap::input_arrived() { deferred::raise(deferred::CONSOLE_INPUT); }

void ConsoleCap::deliver_input() {
  IpcCall* c = g_read.call;
  if (!c || serial::rx_available() == 0) return;
  g_read.call = nullptr;
  // Sized for the largest read plus framing.
  alignas(8) static uint8_t buf[wire::MAX_CONSOLE_READ_BYTES + 128];
  capnp::FixedMessageBuilder mb(MutBytes(buf, sizeof(buf)));
  auto r = wire::Console::ReadResult::initRoot(mb);
  if (r && take_input(static_cast<uint32_t>(c->owner_data), *r)) ipc::complete_deferred(c, mb.framed(), false);
  else ipc::fail_deferred(c, CAPOS_CAP_ERROR(INVOKE_FAILED, "the reply could not be encoded"));
}

}  // namespace capos
