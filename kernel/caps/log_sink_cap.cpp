#include "kernel/caps/log_sink_cap.h"

#include "lib/wire/schema_enums.h"

#include "kernel/caps/kernel_server.h"
#include "kernel/debug/log.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"

namespace capos {

namespace wire = schema::wire;

using wire_enums::log_level_name;

void LogSinkCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status LogSinkCap::log(wire::LogSink::LogParams::Reader p, wire::LogSink::LogResults::Builder r) {
  StrView msg = CAPOS_TRY(p.getMessage());
  if (msg.size() > wire::MAX_LOG_MESSAGE_BYTES) return fail(Err::InvalidArgument);
  // Identity comes from the kernel, never from the message.
  klog("[log {} {}] {}\n", log_level_name(p.getLevel()), current_call().caller.name(), msg);
  r.setAccepted(true);
  return {};
}

}  // namespace capos
