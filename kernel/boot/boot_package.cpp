#include "kernel/boot/boot_package.h"

#include "kernel/mm/heap.h"
#include "lib/capnp/message.h"
#include "lib/core/format.h"
#include "lib/manifest/limits.h"
#include "lib/manifest/validate.h"

namespace capos::boot_package {

namespace wire = schema::wire;

namespace {

// The manifest is ours to bound: a package needs a few segments and its
// binaries at most kMaxPackageBytes.
constexpr capnp::ReaderOptions MANIFEST_READER{(manifest::kMaxPackageBytes / 8) + (1u << 20), 32};

capnp::StreamReader<64> g_reader;
wire::SystemManifest::Reader g_root;
bool g_loaded = false;
Bytes g_metadata;

struct Names {
  StrView names[manifest::kMaxBinaries];
  Bytes data[manifest::kMaxBinaries];
  uint32_t count = 0;
} g_bins;

Status fail_why(char* why, size_t cap, Err e, StrView text) {
  format_to(why, cap, "{}", text);
  return fail(e);
}

// Re-encodes the manifest without binary data into a heap buffer.
Status build_metadata() {
  size_t cap = 64 * 1024;
  for (int attempt = 0; attempt < 6; ++attempt, cap *= 2) {
    auto* buf = static_cast<uint8_t*>(heap::alloc(cap));
    if (!buf) return fail(Err::OutOfMemory);
    capnp::FixedMessageBuilder mb(MutBytes(buf, cap));
    auto root = wire::SystemManifest::initRoot(mb);
    bool ok = root.ok();
    if (ok) {
      root->setSchemaVersion(g_root.getSchemaVersion());
      auto bins = root->initBinaries(g_bins.count);
      ok = bins.ok();
      for (uint32_t i = 0; ok && i < g_bins.count; ++i) ok = (*bins)[i].setName(g_bins.names[i]).ok();
      if (ok && g_root.hasInitConfig()) ok = root->setInitConfig(*g_root.getInitConfig()).ok();
      if (ok && g_root.hasKernelParams()) ok = root->setKernelParams(*g_root.getKernelParams()).ok();
    }
    if (ok) {
      Bytes framed = mb.framed();
      g_metadata = Bytes(buf, framed.size());
      return {};
    }
    heap::free(buf);  // too small: retry larger
  }
  return fail(Err::LimitExceeded);
}

}  // namespace

Status load(Bytes module, char* why, size_t cap) {
  if (!g_reader.init(module, MANIFEST_READER))
    return fail_why(why, cap, Err::Corrupt, "not a Cap'n Proto message (bad or truncated segment table)");
  auto root = wire::SystemManifest::readRoot(g_reader);
  if (!root) return fail_why(why, cap, Err::Corrupt, "the message has no SystemManifest root");
  g_root = *root;

  // Model of the kernel-owned part, checked by the shared validator.
  auto bins = g_root.getBinaries();
  if (!bins) return fail_why(why, cap, Err::Corrupt, "binaries list is unreadable");
  if (bins->size() > manifest::kMaxBinaries) return fail_why(why, cap, Err::LimitExceeded, "too many binaries");
  manifest::BinaryDecl bdecl[manifest::kMaxBinaries];
  g_bins.count = bins->size();
  for (uint32_t i = 0; i < g_bins.count; ++i) {
    auto b = (*bins)[i];
    auto name = b.getName();
    auto data = b.getData();
    if (!name || !data) return fail_why(why, cap, Err::Corrupt, "a binary entry is unreadable");
    g_bins.names[i] = *name;
    g_bins.data[i] = *data;
    bdecl[i] = manifest::BinaryDecl{*name, data->size()};
  }
  manifest::Manifest m;
  m.schema_version = g_root.getSchemaVersion();
  m.binaries = Span<const manifest::BinaryDecl>(bdecl, g_bins.count);
  auto ic = g_root.getInitConfig();
  if (!ic) return fail_why(why, cap, Err::Corrupt, "initConfig is unreadable");
  auto init = ic->getInit();
  if (!init) return fail_why(why, cap, Err::Corrupt, "initConfig.init is unreadable");
  auto ibin = init->getBinary();
  auto icaps = init->getCaps();
  if (!ibin || !icaps) return fail_why(why, cap, Err::Corrupt, "initConfig.init is unreadable");
  if (icaps->size() > manifest::kMaxCapsPerProcess) return fail_why(why, cap, Err::LimitExceeded, "init has too many caps");
  manifest::CapDecl cdecl[manifest::kMaxCapsPerProcess];
  for (uint32_t i = 0; i < icaps->size(); ++i) {
    auto c = (*icaps)[i];
    auto name = c.getName();
    if (!name) return fail_why(why, cap, Err::Corrupt, "an init cap entry is unreadable");
    cdecl[i].name = *name;
    cdecl[i].interface_id = c.getInterfaceId();
    auto src = c.getSource();
    if (src.isKernel()) {
      cdecl[i].source = manifest::SourceKind::Kernel;
      cdecl[i].kernel_kind = static_cast<uint16_t>(src.getKernel());
    } else if (src.isEndpoint()) {
      cdecl[i].source = manifest::SourceKind::Endpoint;
      cdecl[i].served_interface_id = src.getEndpoint().getServedInterfaceId();
    } else {
      cdecl[i].source = manifest::SourceKind::Service;
    }
  }
  m.init.binary = *ibin;
  m.init.caps = Span<const manifest::CapDecl>(cdecl, icaps->size());
  if (g_root.hasKernelParams()) {
    auto kp = g_root.getKernelParams();
    if (!kp) return fail_why(why, cap, Err::Corrupt, "kernelParams is unreadable");
    m.params.motd = kp->getMotd().value_or(StrView());
    m.params.hostname = kp->getHostname().value_or(StrView());
    m.params.log_level = static_cast<uint16_t>(kp->getLogLevel());
  }
  auto check = manifest::validate_boot(m);
  if (!check) return fail_why(why, cap, Err::InvalidArgument, StrView(check.error().message));
  CAPOS_TRY_STATUS(build_metadata());
  g_loaded = true;
  return {};
}

bool loaded() { return g_loaded; }
wire::SystemManifest::Reader manifest() { return g_root; }
Bytes metadata() { return g_metadata; }
uint32_t binary_count() { return g_bins.count; }
StrView binary_name(uint32_t i) { return i < g_bins.count ? g_bins.names[i] : StrView(); }

Bytes find_binary(StrView name) {
  for (uint32_t i = 0; i < g_bins.count; ++i)
    if (g_bins.names[i] == name) return g_bins.data[i];
  return Bytes();
}

}  // namespace capos::boot_package
