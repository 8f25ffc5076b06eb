// lib/manifest/decode: manifests built with the official libcapnp must
// decode to exactly the model mkmanifest's to_model() derives from the same
// message (the reference), single- and many-segment, with and without
// embedded binaries; damaged bytes must fail with a message, never crash.
#include "lib/manifest/decode.h"

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "capnp/manifest.capnp.h"
#include "lib/manifest/schema_ids.h"
#include "lib/manifest/validate.h"
#include "tools/mkmanifest/to_model.h"

using namespace capos;
using namespace capos::manifest;
namespace s = capos::schema;

namespace {

void kernel_cap(s::CapEntry::Builder c, const char* name, s::KernelCapKind k, uint64_t iface) {
  c.setName(name);
  c.setInterfaceId(iface);
  c.getSource().setKernel(k);
}

// The default system (system.cue) plus data for every binary.
void build_default(s::SystemManifest::Builder m, size_t data_bytes) {
  m.setSchemaVersion(1);
  const char* names[] = {"init", "logd", "hello", "ticker"};
  auto bins = m.initBinaries(4);
  for (unsigned i = 0; i < 4; ++i) {
    bins[i].setName(names[i]);
    if (data_bytes) {
      auto d = bins[i].initData(static_cast<unsigned>(data_bytes + i));
      for (size_t k = 0; k < d.size(); ++k) d[k] = static_cast<uint8_t>(k * 13 + i);
    }
  }
  auto init = m.initInitConfig().initInit();
  init.setBinary("init");
  auto ic = init.initCaps(5);
  kernel_cap(ic[0], "console", s::KernelCapKind::CONSOLE, iface::Console);
  kernel_cap(ic[1], "timer", s::KernelCapKind::TIMER, iface::Timer);
  kernel_cap(ic[2], "spawner", s::KernelCapKind::PROCESS_SPAWNER, iface::ProcessSpawner);
  kernel_cap(ic[3], "boot", s::KernelCapKind::BOOT_PACKAGE, iface::BootPackage);
  kernel_cap(ic[4], "log", s::KernelCapKind::LOG_SINK, iface::LogSink);

  auto svcs = m.getInitConfig().initServices(3);
  svcs[0].setName("logd");
  svcs[0].setBinary("logd");
  auto lc = svcs[0].initCaps(2);
  kernel_cap(lc[0], "console", s::KernelCapKind::CONSOLE, iface::Console);
  lc[1].setName("log");
  lc[1].setInterfaceId(iface::Endpoint);
  lc[1].getSource().initEndpoint().setServedInterfaceId(iface::LogSink);
  auto ex = svcs[0].initExports(1);
  ex[0].setName("log");
  ex[0].setCap("log");
  auto rp = svcs[0].initRestart().initOnFailure();
  rp.setMaxRestarts(3);
  rp.setBackoffMs(100);
  for (unsigned i = 1; i < 3; ++i) {
    svcs[i].setName(names[i + 1]);
    svcs[i].setBinary(names[i + 1]);
    auto c = svcs[i].initCaps(i == 2 ? 2 : 1);
    c[0].setName("log");
    c[0].setInterfaceId(iface::LogSink);
    auto imp = c[0].getSource().initService();
    imp.setService("logd");
    imp.setExport("log");
    if (i == 2) kernel_cap(c[1], "timer", s::KernelCapKind::TIMER, iface::Timer);
  }
  auto kp = m.initKernelParams();
  kp.setMotd("Welcome to capOS.\nSecond line.");
  kp.setHostname("capos");
  kp.setLogLevel(s::LogLevel::DEBUG);
}

std::vector<uint8_t> to_bytes(::capnp::MessageBuilder& mb) {
  auto words = ::capnp::messageToFlatArray(mb);
  auto b = words.asBytes();
  return std::vector<uint8_t>(b.begin(), b.end());
}

std::string str(StrView v) { return std::string(v.ptr, v.len); }

void expect_same_cap(const CapDecl& a, const CapDecl& b) {
  EXPECT_EQ(str(a.name), str(b.name));
  EXPECT_EQ(a.interface_id, b.interface_id);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.kernel_kind, b.kernel_kind);
  EXPECT_EQ(a.served_interface_id, b.served_interface_id);
  EXPECT_EQ(str(a.service), str(b.service));
  EXPECT_EQ(str(a.export_name), str(b.export_name));
  EXPECT_EQ(a.dir_path, b.dir_path);
  EXPECT_EQ(a.dir_writable, b.dir_writable);
}

void expect_same(const Manifest& a, const Manifest& b) {
  EXPECT_EQ(a.schema_version, b.schema_version);
  ASSERT_EQ(a.binaries.size(), b.binaries.size());
  for (size_t i = 0; i < a.binaries.size(); ++i) {
    EXPECT_EQ(str(a.binaries[i].name), str(b.binaries[i].name));
    EXPECT_EQ(a.binaries[i].size, b.binaries[i].size);
  }
  EXPECT_EQ(str(a.init.binary), str(b.init.binary));
  ASSERT_EQ(a.init.caps.size(), b.init.caps.size());
  for (size_t i = 0; i < a.init.caps.size(); ++i) expect_same_cap(a.init.caps[i], b.init.caps[i]);
  ASSERT_EQ(a.services.size(), b.services.size());
  for (size_t i = 0; i < a.services.size(); ++i) {
    const ServiceDecl& x = a.services[i];
    const ServiceDecl& y = b.services[i];
    EXPECT_EQ(str(x.name), str(y.name));
    EXPECT_EQ(str(x.binary), str(y.binary));
    ASSERT_EQ(x.caps.size(), y.caps.size());
    for (size_t k = 0; k < x.caps.size(); ++k) expect_same_cap(x.caps[k], y.caps[k]);
    ASSERT_EQ(x.exports.size(), y.exports.size());
    for (size_t k = 0; k < x.exports.size(); ++k) {
      EXPECT_EQ(str(x.exports[k].name), str(y.exports[k].name));
      EXPECT_EQ(str(x.exports[k].cap), str(y.exports[k].cap));
    }
    EXPECT_EQ(x.restart.kind, y.restart.kind);
    EXPECT_EQ(x.restart.max_restarts, y.restart.max_restarts);
    EXPECT_EQ(x.restart.backoff_ms, y.restart.backoff_ms);
    ASSERT_EQ(x.env.size(), y.env.size());
    for (size_t k = 0; k < x.env.size(); ++k) EXPECT_EQ(str(x.env[k]), str(y.env[k]));
  }
  EXPECT_EQ(str(a.params.motd), str(b.params.motd));
  EXPECT_EQ(str(a.params.hostname), str(b.params.hostname));
  EXPECT_EQ(a.params.log_level, b.params.log_level);
  ASSERT_EQ(a.dir_paths.size(), b.dir_paths.size());
  for (size_t i = 0; i < a.dir_paths.size(); ++i) EXPECT_EQ(str(a.dir_paths[i]), str(b.dir_paths[i]));
}

// Decodes `bytes` with ours and the message with libcapnp's to_model.
void check_against_reference(const std::vector<uint8_t>& bytes, bool with_data) {
  auto storage = std::make_unique<DecodeStorage>();
  auto ours = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_TRUE(ours.ok()) << ours.error().message;

  kj::ArrayPtr<const ::capnp::word> words(reinterpret_cast<const ::capnp::word*>(bytes.data()),
                                          bytes.size() / sizeof(::capnp::word));
  ::capnp::FlatArrayMessageReader reader(words);
  mkmanifest::ModelStorage ref_storage;
  Manifest ref = mkmanifest::to_model(reader.getRoot<s::SystemManifest>(), ref_storage);
  expect_same(*ours, ref);

  Options opt;
  opt.require_binary_data = with_data;
  auto v = validate(*ours, opt);
  EXPECT_TRUE(v.ok()) << v.error().message;
}

TEST(ManifestDecode, DefaultSystemMatchesLibcapnpReference) {
  ::capnp::MallocMessageBuilder mb;
  build_default(mb.initRoot<s::SystemManifest>(), 0);
  check_against_reference(to_bytes(mb), false);
}

// The `directory` source: service, export, path and writability survive,
// and the path lands in Manifest::dir_paths.
TEST(ManifestDecode, DirectorySourceMatchesLibcapnpReference) {
  ::capnp::MallocMessageBuilder mb;
  auto root = mb.initRoot<s::SystemManifest>();
  build_default(root, 0);
  auto svcs = root.getInitConfig().getServices();
  // logd also serves a Directory endpoint `root`; ticker gets `users/alice` of it.
  auto caps = svcs[0].initCaps(3);
  kernel_cap(caps[0], "console", s::KernelCapKind::CONSOLE, iface::Console);
  caps[1].setName("log");
  caps[1].setInterfaceId(iface::Endpoint);
  caps[1].getSource().initEndpoint().setServedInterfaceId(iface::LogSink);
  caps[2].setName("root");
  caps[2].setInterfaceId(iface::Endpoint);
  caps[2].getSource().initEndpoint().setServedInterfaceId(iface::Directory);
  auto ex = svcs[0].initExports(2);
  ex[0].setName("log");
  ex[0].setCap("log");
  ex[1].setName("root");
  ex[1].setCap("root");
  auto tc = svcs[2].initCaps(2);
  tc[0].setName("log");
  tc[0].setInterfaceId(iface::LogSink);
  tc[0].getSource().initService().setService("logd");
  tc[0].getSource().getService().setExport("log");
  tc[1].setName("home");
  tc[1].setInterfaceId(iface::Directory);
  auto d = tc[1].getSource().initDirectory();
  d.setService("logd");
  d.setExport("root");
  d.setPath("users/alice");
  d.setWritable(true);
  auto bytes = to_bytes(mb);
  check_against_reference(bytes, false);
  auto storage = std::make_unique<DecodeStorage>();
  auto m = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_TRUE(m.ok());
  const CapDecl& home = m->services[2].caps[1];
  EXPECT_EQ(home.source, SourceKind::Directory);
  EXPECT_EQ(str(home.service), "logd");
  EXPECT_EQ(str(home.export_name), "root");
  EXPECT_TRUE(home.dir_writable);
  ASSERT_EQ(m->dir_paths.size(), 1u);
  EXPECT_EQ(str(m->dir_paths[home.dir_path]), "users/alice");
}

TEST(ManifestDecode, EmbeddedBinariesGiveTheirSizes) {
  ::capnp::MallocMessageBuilder mb;
  build_default(mb.initRoot<s::SystemManifest>(), 70000);
  auto bytes = to_bytes(mb);
  check_against_reference(bytes, true);
  auto storage = std::make_unique<DecodeStorage>();
  auto m = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->binaries[3].size, 70003u);
}

TEST(ManifestDecode, ManySmallSegmentsUseFarPointers) {
  // Tiny fixed-size segments force far pointers and dozens of segments.
  ::capnp::MallocMessageBuilder mb(4, ::capnp::AllocationStrategy::FIXED_SIZE);
  build_default(mb.initRoot<s::SystemManifest>(), 0);
  ASSERT_GT(mb.getSegmentsForOutput().size(), 20u);
  check_against_reference(to_bytes(mb), false);
}

TEST(ManifestDecode, EmptyMessageDecodesToEmptyModel) {
  ::capnp::MallocMessageBuilder mb;
  mb.initRoot<s::SystemManifest>();
  auto bytes = to_bytes(mb);
  auto storage = std::make_unique<DecodeStorage>();
  auto m = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->schema_version, 0u);
  EXPECT_EQ(m->services.size(), 0u);
  EXPECT_EQ(m->params.log_level, 2u);  // schema default: info
  // validate() then gives the one-line reason.
  auto v = validate(*m);
  ASSERT_FALSE(v.ok());
  EXPECT_STREQ(v.error().message, "schemaVersion is 0, but this build reads only 1");
}

TEST(ManifestDecode, TooManyServicesIsOneLine) {
  ::capnp::MallocMessageBuilder mb;
  auto m = mb.initRoot<s::SystemManifest>();
  m.setSchemaVersion(1);
  m.initInitConfig().initServices(kMaxServices + 1);
  auto bytes = to_bytes(mb);
  auto storage = std::make_unique<DecodeStorage>();
  auto r = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, Err::LimitExceeded);
  EXPECT_STREQ(r.error().message, "manifest: initConfig.services: 65 entries (at most 64)");
}

// Service.env reaches the model as the libcapnp reference reads it.
TEST(ManifestDecode, ServiceEnvMatchesLibcapnpReference) {
  ::capnp::MallocMessageBuilder mb;
  auto root = mb.initRoot<s::SystemManifest>();
  build_default(root, 0);
  auto env = root.getInitConfig().getServices()[0].initEnv(2);
  env.set(0, "GREETING=hello");
  env.set(1, "MODE=test");
  auto bytes = to_bytes(mb);
  check_against_reference(bytes, false);
  auto storage = std::make_unique<DecodeStorage>();
  auto r = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->services[0].env.size(), 2u);
  EXPECT_EQ(str(r->services[0].env[1]), "MODE=test");
}

TEST(ManifestDecode, TooManyEnvEntriesNamesTheService) {
  ::capnp::MallocMessageBuilder mb;
  auto m = mb.initRoot<s::SystemManifest>();
  m.initInitConfig().initServices(2)[1].initEnv(kMaxEnvPerService + 1);
  auto bytes = to_bytes(mb);
  auto storage = std::make_unique<DecodeStorage>();
  auto r = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.error().message, "manifest: initConfig.services[1].env: 9 entries (at most 8)");
}

TEST(ManifestDecode, TooManyCapsNamesTheService) {
  ::capnp::MallocMessageBuilder mb;
  auto m = mb.initRoot<s::SystemManifest>();
  m.initInitConfig().initServices(2)[1].initCaps(kMaxCapsPerProcess + 1);
  auto bytes = to_bytes(mb);
  auto storage = std::make_unique<DecodeStorage>();
  auto r = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_FALSE(r.ok());
  EXPECT_STREQ(r.error().message, "manifest: initConfig.services[1].caps: 65 entries (at most 64)");
}

TEST(ManifestDecode, TextWithoutNulIsCorruptWithItsPath) {
  ::capnp::MallocMessageBuilder mb;
  build_default(mb.initRoot<s::SystemManifest>(), 0);
  auto bytes = to_bytes(mb);
  // Find "hostname" text "capos\0" and overwrite its NUL.
  std::string needle("capos\0", 6);
  auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
  ASSERT_NE(it, bytes.end());
  it[5] = 'x';
  auto storage = std::make_unique<DecodeStorage>();
  auto r = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, Err::Corrupt);
  EXPECT_STREQ(r.error().message, "manifest: kernelParams.hostname: corrupt");
}

TEST(ManifestDecode, UnknownCapSourceTagIsRejected) {
  ::capnp::MallocMessageBuilder mb;
  auto cap = mb.initRoot<s::SystemManifest>().initInitConfig().initServices(1)[0].initCaps(1)[0];
  cap.setName("x");
  cap.getSource().setKernel(s::KernelCapKind::CONSOLE);
  // CapEntry's union tag is the u16 at data byte 10 (ordinal 5); a newer
  // schema's member looks like this to us.
  ::capnp::AnyStruct::Builder any = ::capnp::toAny(cap);
  any.getDataSection()[10] = 7;
  auto bytes = to_bytes(mb);
  auto storage = std::make_unique<DecodeStorage>();
  auto r = decode(Bytes(bytes.data(), bytes.size()), *storage);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().err, Err::Unsupported);
  EXPECT_STREQ(r.error().message,
               "manifest: initConfig.services[0].caps[0].source: unknown source kind 7");
}

TEST(ManifestDecode, DamagedBytesNeverCrash) {
  ::capnp::MallocMessageBuilder mb(16, ::capnp::AllocationStrategy::FIXED_SIZE);
  build_default(mb.initRoot<s::SystemManifest>(), 40);
  auto good = to_bytes(mb);
  auto storage = std::make_unique<DecodeStorage>();
  // Every truncation fails cleanly.
  for (size_t n = 0; n < good.size(); n += 8) {
    auto r = decode(Bytes(good.data(), n), *storage);
    EXPECT_FALSE(r.ok()) << n;
    if (!r.ok()) EXPECT_EQ(std::string(r.error().message).rfind("manifest: ", 0), 0u);
  }
  // Single-byte corruptions: either a clean failure or a model whose
  // validation does not crash either.
  uint32_t seed = 12345;
  for (int iter = 0; iter < 20000; ++iter) {
    auto bad = good;
    seed = seed * 1103515245 + 12345;
    size_t pos = (seed >> 8) % bad.size();
    bad[pos] ^= static_cast<uint8_t>(1 + (seed >> 24) % 255);
    auto r = decode(Bytes(bad.data(), bad.size()), *storage);
    if (r.ok()) (void)validate(*r);
  }
}

}  // namespace
