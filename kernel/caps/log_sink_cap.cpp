#include "kernel/caps/log_sink_cap.h"

#include "kernel/caps/kernel_server.h"
#include "kernel/debug/log.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"

namespace capos {

namespace wire = schema::wire;

namespace {
const char* level_name(wire::LogLevel l) {
  switch (l) {
    case wire::LogLevel::ERROR: return "error";
    case wire::LogLevel::WARN: return "warn";
    case wire::LogLevel::INFO: return "info";
    case wire::LogLevel::DEBUG: return "debug";
    case wire::LogLevel::TRACE: return "trace";
  }
  return "?";
}
}  // namespace

Ref<KObject> LogSinkCap::create() {
  void* m = heap::alloc(sizeof(LogSinkCap));
  if (!m) return {};
  return Ref<KObject>::adopt(new (m) LogSinkCap());
}

void LogSinkCap::destroy() {
  this->~LogSinkCap();
  heap::free(this);
}

void LogSinkCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status LogSinkCap::log(wire::LogSink::LogParams::Reader p, wire::LogSink::LogResults::Builder r) {
  StrView msg = CAPOS_TRY(p.getMessage());
  if (msg.size() > wire::MAX_LOG_MESSAGE_BYTES) return fail(Err::InvalidArgument);
  // Identity comes from the kernel, never from the message.
  klog("[log {} {}] {}\n", level_name(p.getLevel()), current_call().caller.name(), msg);
  r.setAccepted(true);
  return {};
}

}  // namespace capos
