#include "kernel/caps/log_sink_cap.h"

#include "kernel/caps/kernel_server.h"
#include "kernel/debug/log.h"
#include "lib/core/escape.h"
#include "lib/wire/schema_enums.h"

namespace capos {

namespace wire = schema::wire;

using wire_enums::log_level_name;

namespace {
uint16_t g_level = static_cast<uint16_t>(wire::LogLevel::INFO);
}  // namespace

void LogSinkCap::set_level(uint16_t level) { __atomic_store_n(&g_level, level, __ATOMIC_RELAXED); }
uint16_t LogSinkCap::level() { return __atomic_load_n(&g_level, __ATOMIC_RELAXED); }

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
  if (lvl > level()) {  // less severe than configured (error = 0 is the most severe)
    r.setAccepted(false);
    return {};
  }
  // The origin comes from the kernel (fixed at creation), never from the
  // message; the message is escaped so it stays inside this one line.
  // Escaped in small pieces under the log lock: no large stack buffer.
  log::lock();
  format(log::sink(), "[log {} {}] ", log_level_name(p.getLevel()), StrView(source_, source_len_));
  char esc[escaped_max(64)];
  for (size_t off = 0; off < msg.size(); off += 64) {
    StrView piece = escape_untrusted(msg.substr(off, 64), esc, sizeof esc);
    log::sink().write(piece.ptr, piece.len);
  }
  log::sink().write("\n", 1);
  log::unlock();
  r.setAccepted(true);
  return {};
}

}  // namespace capos
