#include "kernel/objects/log_sink_cap.h"

#include "kernel/objects/kernel_server.h"
#include "kernel/debug/log.h"
#include "kernel/dev/timer.h"
#include "lib/core/escape.h"
#include "lib/wire/schema_enums.h"

namespace capos {

namespace wire = schema::wire;

using wire_enums::log_level_name;

LogSinkCap::LogSinkCap(StrView source) : HeapKernelCap(ObjType::LogSink) {
  // Callers pass validated names (manifest / spawn rules); cut, never trust.
  source_len_ = min(source.size(), SOURCE_MAX);
  memcpy(source_, source.ptr, source_len_);
}

void LogSinkCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status LogSinkCap::log(wire::LogSink::LogParams::Reader p, wire::LogSink::LogResults::Builder r) {
  StrView msg = CAPOS_TRY(p.getMessage());
  msg = msg.substr(0, wire::MAX_LOG_MESSAGE_BYTES);  // schema: cut, not rejected
  auto lvl = static_cast<uint16_t>(p.getLevel());
  if (lvl > log::level()) {  // less severe than configured (error = 0 is the most severe)
    r.setAccepted(false);
    return {};
  }
  // The origin comes from the kernel (fixed at creation), never from the
  // message. The ring keeps the record as sent; the console line escapes
  // it so it stays one line (escaped in small pieces: no big stack buffer).
  StrView source(source_, source_len_);
  log::lock();
  log::ring().append(timer::now_ns(), static_cast<uint8_t>(lvl), source, msg);
  Sink& out = log::console_sink();
  format(out, "[log {} {}] ", log_level_name(p.getLevel()), source);
  char esc[escaped_max(64)];
  for (size_t off = 0; off < msg.size(); off += 64) {
    StrView piece = escape_untrusted(msg.substr(off, 64), esc, sizeof esc);
    out.write(piece.ptr, piece.len);
  }
  out.write("\n", 1);
  log::unlock();
  r.setAccepted(true);
  return {};
}

}  // namespace capos
