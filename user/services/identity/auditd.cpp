// auditd: the AuditLog service (schema/identity.capnp, docs/identity.md).
// Append-only, hash-chained records (audit_chain.h) in memory. The
// manifest gives each writer its own endpoint, named "append.<source>":
// every record appended through it carries <source>, so a writer cannot
// pose as another. The endpoint "read" serves readers and refuses append.
// When the ring is full the oldest record is dropped and its hash kept as
// the anchor the retained records chain from.
//
// With a "dir" (Directory) grant and the 32-byte key "auditkey" from the
// boot package ("boot") the chain is also kept in its file "audit.log"
// (audit_file.h), each record with an HMAC under that key: every record is
// written and synced before append answers, and at start the whole file is
// decoded, its MACs checked and the chain re-verified. A file that fails
// is renamed "audit.broken" (kept as evidence) and a new chain starts with
// a record saying so. Without the key the records stay in memory: a file
// nothing keys could be rewritten consistently by whoever writes the disk.
//
// Caps: "read" and "append.<source>" endpoints (at most 7 writers),
// "timer" (record times), optionally "dir" with "boot" (read once for
// the key, then released) and "log" (LogSink: auditd's own messages).
#include "schema/identity.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/manifest.capnp.capos.h"
#include "user/rt/boot_package.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/serve_set.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"
#include "user/services/identity/audit_chain.h"
#include "user/services/identity/audit_file.h"
#include "user/services/log_client.h"
#include "user/storage/fs_client.h"

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
  uint8_t source_len, text_len;
  char source[kMaxSource];
  char text[wire::MAX_AUDIT_TEXT];
  uint8_t hash[audit::kHashBytes];
  StrView source_view() const { return StrView(source, source_len); }
};

Stored g_ring[kCapacity];
uint64_t g_count = 0;                   // records ever appended
uint8_t g_anchor[audit::kHashBytes];    // hash before the oldest retained record
uint8_t g_head[audit::kHashBytes];      // hash of the last record
char g_sources[kMaxSources][kMaxSource + 1];
uint32_t g_nsources = 0;
rt::Cap<wire::Timer> g_timer;
rt::ServeSet g_set;
svc::Log g_log;
bool g_have_log = false;
// The on-disk chain, if the manifest granted a directory.
bool g_persist = false;
fsc::Dir g_dir;
fsc::File g_file;
uint64_t g_file_size = 0;
uint8_t g_key[audit::kAuditKeyBytes];  // the records' MAC key; only auditd holds it
Bytes key() { return Bytes(g_key, sizeof(g_key)); }

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

template <class... A> void note(StrView fmt, const A&... args) {
  char buf[256];
  StrView line = format_to(buf, sizeof(buf), fmt, args...);
  if (!g_have_log || !g_log.log(wire::LogLevel::INFO, line)) rt::printf("{}\n", line);
}

// Puts a record that is already in the chain (verified or just hashed)
// into the ring.
void keep(const audit::Record& rec) {
  Stored& s = g_ring[g_count % kCapacity];
  if (g_count >= kCapacity) memcpy(g_anchor, s.hash, sizeof(g_anchor));  // s is the oldest: dropped now
  s.seq = rec.seq;
  s.time_ns = rec.time_ns;
  s.source_len = static_cast<uint8_t>(rec.source.size());
  s.text_len = static_cast<uint8_t>(rec.text.size());
  memcpy(s.source, rec.source.ptr, rec.source.size());
  memcpy(s.text, rec.text.ptr, rec.text.size());
  memcpy(s.hash, rec.hash.data(), sizeof(s.hash));
  memcpy(g_head, s.hash, sizeof(g_head));
  ++g_count;
}

// Appends a new record: hashed onto the head, on disk and synced first
// (if persistent), then in the ring. Nothing changes if the write fails.
Status add_record(StrView source, StrView text, uint64_t time_ns) {
  uint8_t hash[audit::kHashBytes];
  audit::Record rec{g_count, time_ns, source, text, Bytes()};
  audit::chain_hash(g_head, rec, hash);
  rec.hash = Bytes(hash, sizeof(hash));
  if (g_persist) {
    uint8_t buf[audit::kMaxStoredRecord];
    size_t n = CAPOS_TRY(audit::encode_record(rec, key(), MutBytes(buf, sizeof(buf))));
    if (!fsc::write(g_file, g_file_size, Bytes(buf, n)) || !fsc::sync(g_file)) {
      rt::set_error_message("cannot write the audit file");
      return fail(Err::Failed);
    }
    g_file_size += n;
  }
  keep(rec);
  return {};
}

// Reads and re-verifies "audit.log" into the ring. `whole`: every byte was
// a record of the chain; else `records` is where it failed.
struct LoadResult {
  bool whole;
  uint64_t records;
  const char* why = "";  // when not whole: what failed there
};
Result<LoadResult> load_file() {
  static uint8_t buf[2 * wire::MAX_FILE_TRANSFER_BYTES];
  size_t have = 0;
  uint64_t offset = 0;
  bool eof = false;
  for (;;) {
    if (!eof && have < sizeof(buf) / 2) {
      auto n = CAPOS_TRY(fsc::read(g_file, offset + have, MutBytes(buf + have, sizeof(buf) - have),
                                   static_cast<uint32_t>(sizeof(buf) / 2)));
      have += n;
      eof = n == 0;
    }
    if (have == 0 && eof) return LoadResult{true, g_count};
    auto d = audit::decode_record(Bytes(buf, have), key());
    if (!d) {
      if (d.error() == Err::LimitExceeded && !eof) continue;  // read more
      return LoadResult{false, g_count, d.error() == Err::PermissionDenied ? "its MAC is not auditd's key's" : "not a record"};
    }
    uint8_t prev[audit::kHashBytes];
    memcpy(prev, g_head, sizeof(prev));
    if (audit::verify(prev, g_count, Span<const audit::Record>(&d->record, 1)) != 1)
      return LoadResult{false, g_count, "its hash does not chain"};
    keep(d->record);
    memmove(buf, buf + d->used, have - d->used);
    have -= d->used;
    offset += d->used;
    g_file_size = offset;
  }
}

void reset_chain() {
  g_count = 0;
  memset(g_anchor, 0, sizeof(g_anchor));
  memset(g_head, 0, sizeof(g_head));
  g_file_size = 0;
}

// The MAC key from the boot package; the BootPackage cap is released.
Status load_key() {
  auto boot = rt::capset_find<wire::BootPackage>("boot");
  if (!boot) return fail(Err::NotFound);
  auto size = rt::boot_binary_size(*boot, "auditkey");
  Status st = size ? (*size == sizeof(g_key) ? rt::boot_read_binary(*boot, "auditkey", 0, MutBytes(g_key, sizeof(g_key)))
                                             : Status(fail(Err::InvalidArgument)))
                   : Status(fail(size.error()));
  rt::release_cap(*boot);
  return st;
}

// The on-disk chain: load it, or start it (moving a broken one aside).
void open_store() {
  auto dir = rt::capset_find<wire::Directory>("dir");
  if (!dir) return;
  if (Status k = load_key(); !k) {
    note("auditd: no 32-byte `auditkey` ({}): records stay in memory", err_name(k.error()));
    return;
  }
  g_dir = *dir;
  auto f = fsc::open(g_dir, "audit.log", true);
  if (!f) f = fsc::create(g_dir, "audit.log");
  if (!f) {
    note("auditd: cannot open audit.log ({}): records stay in memory", fsc::last_error());
    return;
  }
  g_file = *f;
  auto loaded = load_file();
  if (!loaded) {  // an I/O error is no evidence of tampering: leave the file alone
    note("auditd: cannot read audit.log ({}): records stay in memory", err_name(loaded.error()));
    reset_chain();
    return;
  }
  if (loaded->whole) {
    g_persist = true;
    note("auditd: audit.log verified: {} records", loaded->records);
    return;
  }
  uint64_t bad = loaded->records;
  note("auditd: audit.log FAILED verification at record {} ({}): kept as audit.broken, a new chain starts", bad,
       loaded->why);
  (void)fsc::close(g_file);
  (void)fsc::remove(g_dir, "audit.broken");  // only the newest broken log is kept
  auto nf = fsc::rename(g_dir, "audit.log", nullptr, 0, "audit.broken");
  auto created = nf ? fsc::create(g_dir, "audit.log") : Result<fsc::File>(fail(nf.error()));
  reset_chain();
  if (!created) {
    note("auditd: cannot start a new audit.log: records stay in memory");
    return;
  }
  g_file = *created;
  g_persist = true;
  char text[wire::MAX_AUDIT_TEXT];
  StrView t = format_to(text, sizeof(text), "the stored log failed verification at record {}; kept as audit.broken", bad);
  if (!add_record("auditd", t, now_ns())) g_persist = false;
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
    CAPOS_TRY_STATUS(add_record(StrView(g_sources[tag - 1]), text, now_ns()));
    const Stored& s = g_ring[(g_count - 1) % kCapacity];
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
      CAPOS_TRY_STATUS(item.setSource(s.source_view()));
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
  g_have_log = bool(g_log.attach());
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
  open_store();
  Status st = g_set.serve();
  rt::printf("auditd: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
