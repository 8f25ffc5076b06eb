// libFuzzer target for the manifest validator. lib/manifest takes a model,
// not bytes, so the fuzz input drives a model builder: counts, names from a
// small colliding pool (so duplicates and matching imports are common),
// sources, kinds and interface ids. Beyond "no crash, no UB", an accepted
// manifest is re-checked against the rules independently, and a rejected
// one must carry a non-empty single-line message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lib/manifest/schema_ids.h"
#include "lib/manifest/validate.h"

using namespace capos;
using namespace capos::manifest;

namespace {

class Input {
 public:
  Input(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  uint8_t u8() { return i_ < n_ ? d_[i_++] : 0; }
  uint64_t u64() {
    uint64_t v = 0;
    for (int k = 0; k < 8; ++k) v = v << 8 | u8();
    return v;
  }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t i_ = 0;
};

const char* const kPool[] = {"init", "logd", "hello", "log", "a", "b", "console", "x.y-z_",
                             "", "bad name", "0123456789abcdef0123456789abcdefX"};
constexpr size_t kPoolSize = sizeof(kPool) / sizeof(kPool[0]);
const uint64_t kIds[] = {iface::Console, iface::LogSink, iface::Endpoint, iface::Timer, 0, 42};

StrView name(Input& b) { return StrView(kPool[b.u8() % kPoolSize]); }
uint64_t id(Input& b) {
  uint8_t v = b.u8();
  return v < 240 ? kIds[v % 6] : b.u64();
}

// Slightly above each bound so TooMany paths are reached.
constexpr size_t kCapSlots = kMaxCapsPerProcess + 2;
constexpr size_t kSvcSlots = 8;

BinaryDecl g_bins[kMaxBinaries + 2];
CapDecl g_init_caps[kCapSlots];
CapDecl g_caps[kSvcSlots][kCapSlots];
ExportDecl g_exports[kSvcSlots][kMaxExportsPerService + 2];
ServiceDecl g_svcs[kSvcSlots];

CapDecl cap(Input& b) {
  CapDecl c;
  c.name = name(b);
  c.interface_id = id(b);
  uint8_t src = b.u8();
  c.source = static_cast<SourceKind>(src % 3);
  c.kernel_kind = static_cast<uint16_t>(b.u8() % (kKernelCapKindCount + 2));
  if (c.source == SourceKind::Kernel && (src & 0x80) && c.kernel_kind < kKernelCapKindCount) {
    c.interface_id = kKernelCaps[c.kernel_kind].interface_id;  // mostly well-typed
  }
  c.served_interface_id = id(b);
  c.service = name(b);
  c.export_name = name(b);
  return c;
}

size_t count(Input& b, size_t max) { return b.u8() % (max + 1); }

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "graph_fuzz: accepted manifest violates: %s\n", what);
  std::abort();
}

// Independent restatement of the acceptance rules for imports and exports.
void recheck(const Manifest& m) {
  for (size_t i = 0; i < m.services.size(); ++i) {
    const ServiceDecl& s = m.services[i];
    if (!valid_name(s.name)) die("service name");
    for (const CapDecl& c : s.caps) {
      if (c.source != SourceKind::Service) continue;
      bool found = false;
      for (size_t j = 0; j < i; ++j) {
        if (!(m.services[j].name == c.service)) continue;
        for (const ExportDecl& e : m.services[j].exports) {
          if (!(e.name == c.export_name)) continue;
          for (const CapDecl& ec : m.services[j].caps) {
            if (ec.name == e.cap && ec.source == SourceKind::Endpoint &&
                ec.served_interface_id == c.interface_id)
              found = true;
          }
        }
      }
      if (!found) die("import from an earlier service with a matching interface");
    }
    for (size_t j = 0; j < i; ++j)
      if (m.services[j].name == s.name) die("unique service names");
  }
  for (const CapDecl& c : m.init.caps)
    if (c.source == SourceKind::Service) die("init has no service sources");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input b(data, size);
  Manifest m;
  m.schema_version = (b.u8() & 0xf) ? kManifestSchemaVersion : b.u8();
  size_t nb = count(b, kMaxBinaries + 1);
  for (size_t i = 0; i < nb; ++i) g_bins[i] = {name(b), (b.u8() & 0xf) ? 1 + b.u8() : b.u64()};
  m.binaries = Span<const BinaryDecl>(g_bins, nb);
  m.init.binary = name(b);
  size_t nic = count(b, kCapSlots);
  for (size_t i = 0; i < nic; ++i) g_init_caps[i] = cap(b);
  m.init.caps = Span<const CapDecl>(g_init_caps, nic);
  size_t ns = count(b, kSvcSlots);
  for (size_t i = 0; i < ns; ++i) {
    ServiceDecl& s = g_svcs[i];
    s.name = name(b);
    s.binary = name(b);
    size_t nc = count(b, kCapSlots);
    for (size_t k = 0; k < nc; ++k) g_caps[i][k] = cap(b);
    s.caps = Span<const CapDecl>(g_caps[i], nc);
    size_t ne = count(b, kMaxExportsPerService + 1);
    for (size_t k = 0; k < ne; ++k) g_exports[i][k] = {name(b), name(b)};
    s.exports = Span<const ExportDecl>(g_exports[i], ne);
    s.restart.kind = static_cast<RestartKind>(b.u8() & 1);
    s.restart.max_restarts = b.u8();
    s.restart.backoff_ms = static_cast<uint32_t>(b.u64());
  }
  m.services = Span<const ServiceDecl>(g_svcs, ns);
  m.params.motd = name(b);
  m.params.hostname = (b.u8() & 1) ? StrView("capos") : name(b);
  m.params.log_level = b.u8() % 6;

  Options opt;
  opt.require_binary_data = b.u8() & 1;
  auto r = validate(m, opt);
  if (r.ok()) {
    recheck(m);
  } else {
    size_t len = strnlen(r.error().message, kMaxMessageBytes);
    if (len == 0 || len == kMaxMessageBytes) die("message is empty or unterminated");
    if (std::strchr(r.error().message, '\n')) die("message is one line");
  }
  return 0;
}
