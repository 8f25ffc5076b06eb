#include "kernel/boot/boot_package.h"

#include "kernel/mm/heap.h"
#include "lib/capnp/message.h"
#include "lib/core/format.h"
#include "lib/manifest/decode.h"
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
manifest::DecodeStorage* g_storage = nullptr;  // backs g_model's lists
manifest::Manifest g_model;

struct Names {
  StrView names[manifest::kMaxBinaries];
  Bytes data[manifest::kMaxBinaries];
  uint32_t count = 0;
} g_bins;

Failure<LoadError> refuse(Err e, StrView text) {
  LoadError err;
  err.code = e;
  format_to(err.line, sizeof err.line, "{}", text);
  return fail(err);
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
      for (uint32_t i = 0; ok && i < g_bins.count; ++i) {
        ok = (*bins)[i].setName(g_bins.names[i]).ok();
        const manifest::BinaryDecl& b = g_model.binaries[i];
        (*bins)[i].setKind(b.secret ? wire::BinaryKind::SECRET : b.data ? wire::BinaryKind::DATA : wire::BinaryKind::PROGRAM);
      }
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

Result<void, LoadError> load(Bytes module) {
  // The kernel-owned boundary, checked with the same decoder and validator
  // that mkmanifest and init use.
  g_storage = static_cast<manifest::DecodeStorage*>(heap::alloc(sizeof(manifest::DecodeStorage)));
  if (!g_storage) return refuse(Err::OutOfMemory, "no memory to decode the manifest");
  auto m = manifest::decode(module, *g_storage);
  if (!m) return refuse(m.error().err, StrView(m.error().message));
  g_model = *m;
  auto check = manifest::validate_boot(g_model);
  if (!check) return refuse(Err::InvalidArgument, StrView(check.error().message));

  // Generated readers over the same bytes, for binary data and re-encoding.
  if (!g_reader.init(module, MANIFEST_READER)) return refuse(Err::Corrupt, "unreadable segment table");
  auto root = wire::SystemManifest::readRoot(g_reader);
  if (!root) return refuse(Err::Corrupt, "the message has no SystemManifest root");
  g_root = *root;
  auto bins = g_root.getBinaries();
  if (!bins || bins->size() != g_model.binaries.size()) return refuse(Err::Corrupt, "binaries list is unreadable");
  g_bins.count = bins->size();
  for (uint32_t i = 0; i < g_bins.count; ++i) {
    auto data = (*bins)[i].getData();
    if (!data) return refuse(Err::Corrupt, "a binary's data is unreadable");
    g_bins.names[i] = g_model.binaries[i].name;
    g_bins.data[i] = *data;
  }
  if (Status st = build_metadata(); !st) return refuse(st.error(), "cannot re-encode the manifest without its binaries");
  g_loaded = true;
  return {};
}

const manifest::Manifest& model() { return g_model; }

bool loaded() { return g_loaded; }
wire::SystemManifest::Reader manifest() { return g_root; }
Bytes metadata() { return g_metadata; }
uint32_t binary_count() { return g_bins.count; }
StrView binary_name(uint32_t i) { return i < g_bins.count ? g_bins.names[i] : StrView(); }

bool is_data(StrView name) {
  for (uint32_t i = 0; i < g_bins.count; ++i)
    if (g_bins.names[i] == name) return g_model.binaries[i].data;
  return false;
}

Result<uint32_t> find_secret(StrView name) {
  for (uint32_t i = 0; i < g_bins.count; ++i)
    if (g_bins.names[i] == name) return g_model.binaries[i].secret ? Result<uint32_t>(i) : fail(Err::InvalidArgument);
  return fail(Err::NotFound);
}

bool is_secret(uint32_t index) { return index < g_bins.count && g_model.binaries[index].secret; }

Bytes find_binary(StrView name) {
  for (uint32_t i = 0; i < g_bins.count; ++i)
    if (g_bins.names[i] == name) return g_bins.data[i];
  return Bytes();
}

}  // namespace capos::boot_package
