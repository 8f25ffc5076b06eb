#include "user/shell/audit_cmd.h"

#include "schema/identity.capnp.capos.h"
#include "user/rt/transport.h"
#include "user/services/identity/audit_chain.h"
#include "user/shell/shell_io.h"

namespace capos::shell {

namespace wire = schema::wire;
using identity::audit::kHashBytes;

namespace {

constexpr uint32_t kMaxShow = 20;
constexpr uint32_t kPage = 16;

struct Kept {
  uint64_t seq;
  char source[33];
  char text[wire::MAX_AUDIT_TEXT + 1];
};
Kept g_kept[kMaxShow];

void copy(char* dst, size_t cap, StrView s) {
  size_t n = min(s.size(), cap - 1);
  memcpy(dst, s.ptr, n);
  dst[n] = 0;
}

void hex8(const uint8_t* h, char out[17]) {
  for (int i = 0; i < 8; ++i) {
    out[2 * i] = "0123456789abcdef"[h[i] >> 4];
    out[2 * i + 1] = "0123456789abcdef"[h[i] & 15];
  }
  out[16] = 0;
}

}  // namespace

void cmd_audit(uint32_t show) {
  auto log = need<wire::AuditLog>("audit", "audit");
  if (!log) return;
  wire::AuditLog::Client c(&rt::transport(), log);
  uint8_t prev[kHashBytes] = {};
  uint64_t first = 0, next = 0, total = 0;
  bool started = false, more = true;
  while (more) {
    alignas(8) uint8_t pbuf[64];
    alignas(8) static uint8_t rbuf[kPage * (wire::MAX_AUDIT_TEXT + 160) + 256];
    capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
    auto pp = wire::AuditLog::Client::readParams(p);
    if (!pp) return report_error("audit", pp.error());
    pp->setFrom(next);
    pp->setMaxRecords(kPage);
    capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
    auto res = c.read(p, r);
    if (!res) return report_error("audit", res.error());
    auto recs = res->getRecords();
    auto ph = res->getPrevHash();
    if (!recs || !ph || ph->size() != kHashBytes) return say("audit: malformed answer\n");
    identity::audit::Record page[kPage];
    uint32_t n = recs->size() < kPage ? recs->size() : kPage;
    for (uint32_t i = 0; i < n; ++i) {
      auto x = (*recs)[i];
      page[i] = identity::audit::Record{x.getSeq(), x.getTimeNs(), x.getSource().value_or(""), x.getText().value_or(""),
                                        x.getHash().value_or(Bytes())};
    }
    if (!started) {
      // The first page chains from the anchor the log gives (zero before
      // seq 0; the hash of the last dropped record otherwise).
      memcpy(prev, ph->data(), kHashBytes);
      first = n ? page[0].seq : res->getNext();
      next = first;
      started = true;
    } else if (memcmp(prev, ph->data(), kHashBytes) != 0) {
      return say("audit: CHAIN BROKEN before record {}: the log changed under the reader\n", next);
    }
    size_t ok = identity::audit::verify(prev, next, Span<const identity::audit::Record>(page, n));
    if (ok != n) return say("audit: CHAIN BROKEN at record {}: it does not follow from the one before\n", next + ok);
    for (uint32_t i = 0; i < n; ++i) {
      Kept& k = g_kept[page[i].seq % kMaxShow];
      k.seq = page[i].seq;
      copy(k.source, sizeof(k.source), page[i].source);
      copy(k.text, sizeof(k.text), page[i].text);
    }
    next += n;
    total += n;
    more = res->getMore() && n > 0;
  }
  // The chain must end where the log says it does now.
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::AuditLog::Client::headParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto h = c.head(p, r);
  if (!h) return report_error("audit", h.error());
  auto hh = h->getHash();
  if (!hh || hh->size() != kHashBytes || h->getCount() != next || memcmp(hh->data(), prev, kHashBytes) != 0)
    return say("audit: CHAIN BROKEN: it does not end at the log's head (count {})\n", h->getCount());
  char hex[17];
  hex8(prev, hex);
  say("audit: {} records (seq {} to {}), chain verified, head {}\n", total, first, next ? next - 1 : 0, hex);
  uint64_t from = next > show ? next - show : 0;
  if (from < first) from = first;
  for (uint64_t s = from; s < next; ++s) {
    const Kept& k = g_kept[s % kMaxShow];
    say("  #{} {}: {}\n", k.seq, StrView(k.source), StrView(k.text));
  }
}

}  // namespace capos::shell
