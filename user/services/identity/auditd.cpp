// auditd: the AuditLog service (schema/identity.capnp, docs/identity.md).
// Append-only, hash-chained records (audit_chain.h) in memory. The
// manifest gives each writer its own endpoint, named "append.<source>":
// every record appended through it carries <source>, so a writer cannot
// pose as another. The endpoint "read" serves readers and refuses append.
// When the ring is full the oldest record is dropped and its hash kept as
// the anchor the retained records chain from.
//
// Caps: "read" and "append.<source>" endpoints (at most 7 writers),
// "timer" (record times).
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/serve_set.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/services/identity/audit_chain.h"

using namespace capos;
using namespace capos::identity;
namespace wire = capos::schema::wire;

namespace {

constexpr uint32_t kCapacity = 256;
constexpr uint32_t kMaxSources = rt::ServeSet::kMaxEndpoints - 1;
constexpr size_t kMaxSource = 32;
constexpr uint64_t kReaderTag = 0;  // writers are tagged 1 + their source index

struct Stored {
  uint64_t seq, time_ns;
  uint8_t source;  // index into g_sources
  uint8_t text_len;
  char text[wire::MAX_AUDIT_TEXT];
  uint8_t hash[audit::kHashBytes];
};

Stored g_ring[kCapacity];
uint64_t g_count = 0;                   // records ever appended
uint8_t g_anchor[audit::kHashBytes];    // hash before the oldest retained record
uint8_t g_head[audit::kHashBytes];      // hash of the last record
char g_sources[kMaxSources][kMaxSource + 1];
uint32_t g_nsources = 0;
rt::Cap<wire::Timer> g_timer;
rt::ServeSet g_set;

uint64_t first_retained() { return g_count > kCapacity ? g_count - kCapacity : 0; }

uint64_t now_ns() {
  wire::Timer::Client t(&rt::transport(), g_timer);
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder p(MutBytes(pbuf, sizeof(pbuf)));
  (void)wire::Timer::Client::nowParams(p);
  capnp::Response r(MutBytes(rbuf, sizeof(rbuf)));
  auto res = t.now(p, r);
  return res ? res->getMonotonicNs() : 0;
}

bool printable(StrView s) {
  for (size_t i = 0; i < s.size(); ++i)
    if (s.ptr[i] < 0x20 || s.ptr[i] > 0x7e) return false;
  return true;
}

class AuditImpl final : public wire::AuditLog::Server {
 public:
  Status append(wire::AuditLog::AppendParams::Reader p, wire::AuditLog::AppendResults::Builder r) override {
    uint64_t tag = g_set.current_tag();
    if (tag == kReaderTag) {
      rt::set_error_message("this AuditLog endpoint is read-only");
      return fail(Err::Failed);
    }
    StrView text = CAPOS_TRY(p.getText());
    if (text.empty() || text.size() > wire::MAX_AUDIT_TEXT || !printable(text)) return fail(Err::InvalidArgument);
    Stored& s = g_ring[g_count % kCapacity];
    if (g_count >= kCapacity) memcpy(g_anchor, s.hash, sizeof(g_anchor));  // s is the oldest: dropped now
    s.seq = g_count;
    s.time_ns = now_ns();
    s.source = static_cast<uint8_t>(tag - 1);
    s.text_len = static_cast<uint8_t>(text.size());
    memcpy(s.text, text.ptr, text.size());
    audit::chain_hash(g_head, audit::Record{s.seq, s.time_ns, StrView(g_sources[s.source]), text, Bytes()}, s.hash);
    memcpy(g_head, s.hash, sizeof(g_head));
    ++g_count;
    r.setSeq(s.seq);
    return r.setHash(Bytes(s.hash, sizeof(s.hash)));
  }

  Status read(wire::AuditLog::ReadParams::Reader p, wire::AuditLog::ReadResults::Builder r) override {
    uint32_t max = p.getMaxRecords();
    if (max < 1 || max > 16) return fail(Err::InvalidArgument);
    uint64_t from = p.getFrom() < first_retained() ? first_retained() : p.getFrom();
    if (from > g_count) from = g_count;
    uint64_t n = g_count - from < max ? g_count - from : max;
    const uint8_t* prev = from == first_retained() ? g_anchor : g_ring[(from - 1) % kCapacity].hash;
    CAPOS_TRY_STATUS(r.setPrevHash(Bytes(prev, audit::kHashBytes)));
    auto list = CAPOS_TRY(r.initRecords(static_cast<uint32_t>(n)));
    for (uint32_t i = 0; i < n; ++i) {
      const Stored& s = g_ring[(from + i) % kCapacity];
      auto item = list[i];
      item.setSeq(s.seq);
      item.setTimeNs(s.time_ns);
      CAPOS_TRY_STATUS(item.setSource(StrView(g_sources[s.source])));
      CAPOS_TRY_STATUS(item.setText(StrView(s.text, s.text_len)));
      CAPOS_TRY_STATUS(item.setHash(Bytes(s.hash, sizeof(s.hash))));
    }
    r.setNext(from + n);
    r.setMore(from + n < g_count);
    return {};
  }

  Status head(wire::AuditLog::HeadParams::Reader, wire::AuditLog::HeadResults::Builder r) override {
    r.setCount(g_count);
    return r.setHash(Bytes(g_head, sizeof(g_head)));
  }
};

AuditImpl g_impl;

}  // namespace

int main() {
  auto timer = rt::capset_find<wire::Timer>("timer");
  if (!timer) {
    rt::printf("auditd: needs `timer`\n");
    return 2;
  }
  g_timer = *timer;
  uint32_t served = 0;
  for (uint32_t i = 0; i < rt::capset_count(); ++i) {
    const abi::CapSetEntry* e = rt::capset_entry(i);
    if (!e || e->interface_id != wire::Endpoint::kInterfaceId) continue;
    StrView name = rt::capset_name(*e);
    uint64_t tag;
    if (name == "read") {
      tag = kReaderTag;
    } else if (name.starts_with("append.") && name.size() > 7 && name.size() - 7 <= kMaxSource &&
               g_nsources < kMaxSources) {
      StrView src = name.substr(7);
      memcpy(g_sources[g_nsources], src.ptr, src.size());
      tag = 1 + g_nsources++;
    } else {
      rt::printf("auditd: ignoring endpoint `{}`\n", name);
      continue;
    }
    auto ep = rt::capset_typed<wire::Endpoint>(e->cap_id);
    if (!ep || !g_set.add(*ep, g_impl, tag)) {
      rt::printf("auditd: cannot serve `{}`\n", name);
      continue;
    }
    ++served;
  }
  if (!served) {
    rt::printf("auditd: no `read` or `append.<source>` endpoints\n");
    return 2;
  }
  Status st = g_set.serve();
  rt::printf("auditd: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
