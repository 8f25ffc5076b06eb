#include "kernel/objects/log_reader_cap.h"

#include "kernel/objects/kernel_server.h"
#include "kernel/debug/log.h"

namespace capos {

namespace wire = schema::wire;

namespace {

// Encoded size of one LogRecord list element with its two texts.
uint64_t record_bytes(const LogRing::Record& rec) {
  auto text = [](size_t n) { return (n + 1 + 7) / 8 * 8; };
  return 8 * (wire::LogReader::LogRecord::kDataWords + wire::LogReader::LogRecord::kPointerCount) + text(rec.source.size()) + text(rec.message.size());
}

}  // namespace

void LogReaderCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status LogReaderCap::read(LR::ReadParams::Reader p, LR::ReadResults::Builder r) {
  CallContext& ctx = current_call();
  uint32_t max = p.getMaxRecords();
  if (max == 0 || max > wire::MAX_LOG_READ_RECORDS) return fail(Err::InvalidArgument);
  // What fits both the kernel scratch and the caller's buffer, less the
  // result struct, the list tag and framing.
  uint64_t room = min<uint64_t>(ctx.results.size(), ctx.result.len);
  uint64_t budget = room > 256 ? room - 256 : 0;

  log::lock();  // the ring does not change between the two passes
  LogRing& ring = log::ring();
  uint64_t used = 0;
  LogRing::ReadResult fit = ring.read(p.getFromSeq(), max, [&](const LogRing::Record& rec) {
    uint64_t b = record_bytes(rec);
    if (used + b > budget) return false;
    used += b;
    return true;
  });
  Status st = [&]() -> Status {
    auto list = CAPOS_TRY(r.initRecords(fit.count));
    uint32_t i = 0;
    Status inner;
    ring.read(p.getFromSeq(), fit.count, [&](const LogRing::Record& rec) {
      auto e = list[i++];
      e.setSeq(rec.seq);
      e.setMonotonicNs(rec.ns);
      e.setLevel(static_cast<wire::LogLevel>(rec.level));
      if (inner) inner = e.setSource(rec.source);
      if (inner) inner = e.setMessage(rec.message);
      return true;
    });
    return inner;
  }();
  log::unlock();
  CAPOS_TRY_STATUS(st);
  if (fit.count == 0 && max > 0 && fit.next_seq < log::ring().next_seq())
    return fail(Err::OutOfRange);  // not even one record fits the caller's buffer
  r.setNextSeq(fit.next_seq);
  r.setLost(fit.lost);
  return {};
}

}  // namespace capos
