#include "user/shell/dmesg.h"

#include "lib/core/escape.h"
#include "lib/core/format.h"
#include "lib/wire/schema_enums.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/transport.h"

namespace capos::shell {

namespace wire = schema::wire;

namespace {

// Enough for a full read of short records; longer ones take more reads.
alignas(8) uint8_t g_result[8192];
// "[seq] s.ms level source: " plus an escaped maximal message.
char g_line[96 + escaped_max(32) + escaped_max(wire::MAX_LOG_MESSAGE_BYTES)];

void emit_record(wire::LogReader::LogRecord::Reader rec, void (*emit)(StrView)) {
  BufferSink line(g_line, sizeof g_line);
  uint64_t ms = rec.getMonotonicNs() / 1'000'000;
  format(line, "[{:>5}] {:>4}.{:03} {:<5} ", rec.getSeq(), ms / 1000, ms % 1000,
         wire_enums::log_level_name(rec.getLevel()));
  char esc[escaped_max(wire::MAX_LOG_MESSAGE_BYTES)];
  auto src = rec.getSource();
  auto msg = rec.getMessage();
  StrView s = src ? escape_untrusted(*src, esc, escaped_max(32)) : StrView("?");
  line.write(s.ptr, s.len);
  line.write(": ", 2);
  StrView m = msg ? escape_untrusted(*msg, esc, sizeof esc) : StrView("(unreadable)");
  line.write(m.ptr, m.len);
  line.write("\n", 1);
  emit(line.view());
}

}  // namespace

Status dmesg(rt::Cap<wire::LogReader> log_reader, void (*emit)(StrView line)) {
  wire::LogReader::Client reader(&rt::transport(), log_reader);
  uint64_t from = 0;
  // Bounded: the ring holds LogRing::kRecords; a log that grows while we
  // read is followed only this far.
  for (int round = 0; round < 64; ++round) {
    alignas(8) uint8_t pbuf[64];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
    auto p = CAPOS_TRY(wire::LogReader::Client::readParams(params));
    p.setFromSeq(from);
    p.setMaxRecords(wire::MAX_LOG_READ_RECORDS);
    capnp::Response resp(MutBytes(g_result, sizeof g_result));
    auto r = CAPOS_TRY(reader.read(params, resp));
    auto records = CAPOS_TRY(r.getRecords());
    if (r.getLost()) {
      char note[96];
      emit(format_to(note, sizeof note, "dmesg: {} earlier records were overwritten\n", r.getLost()));
    }
    for (uint32_t i = 0; i < records.size(); ++i) emit_record(records[i], emit);
    if (records.size() == 0) return {};
    from = r.getNextSeq();
  }
  return {};
}

}  // namespace capos::shell
