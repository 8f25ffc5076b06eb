// The freestanding constants in lib/manifest/schema_ids.h must equal what
// the official compiler derives from schema/*.capnp, and the name table
// mkmanifest uses must agree with both.
#include "lib/manifest/schema_ids.h"

#include <capnp/schema.h>
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "capnp/capos.capnp.h"
#include "capnp/devices.capnp.h"
#include "capnp/ipc.capnp.h"
#include "capnp/kernel.capnp.h"
#include "capnp/manifest.capnp.h"
#include "capnp/memory.capnp.h"
#include "capnp/process.capnp.h"
#include "lib/manifest/limits.h"
#include "tools/mkmanifest/interface_names.h"

using namespace capos::manifest;
namespace s = capos::schema;

namespace {

TEST(manifest_schema_ids, InterfaceIdsMatchGeneratedCode) {
  EXPECT_EQ(iface::Console, capnp::typeId<s::Console>());
  EXPECT_EQ(iface::Timer, capnp::typeId<s::Timer>());
  EXPECT_EQ(iface::EntropySource, capnp::typeId<s::EntropySource>());
  EXPECT_EQ(iface::VirtualMemory, capnp::typeId<s::VirtualMemory>());
  EXPECT_EQ(iface::FrameAllocator, capnp::typeId<s::FrameAllocator>());
  EXPECT_EQ(iface::ProcessSpawner, capnp::typeId<s::ProcessSpawner>());
  EXPECT_EQ(iface::BootPackage, capnp::typeId<s::BootPackage>());
  EXPECT_EQ(iface::ThreadControl, capnp::typeId<s::ThreadControl>());
  EXPECT_EQ(iface::ThreadSpawner, capnp::typeId<s::ThreadSpawner>());
  EXPECT_EQ(iface::LogSink, capnp::typeId<s::LogSink>());
  EXPECT_EQ(iface::LogReader, capnp::typeId<s::LogReader>());
  EXPECT_EQ(iface::EndpointFactory, capnp::typeId<s::EndpointFactory>());
  EXPECT_EQ(iface::SystemStatus, capnp::typeId<s::SystemStatus>());
  EXPECT_EQ(iface::SystemControl, capnp::typeId<s::SystemControl>());
  EXPECT_EQ(iface::DeviceManager, capnp::typeId<s::DeviceManager>());
  EXPECT_EQ(iface::Endpoint, capnp::typeId<s::Endpoint>());
  EXPECT_EQ(kManifestSchemaVersion, s::MANIFEST_SCHEMA_VERSION);
}

// Enumerant i of KernelCapKind is kKernelCaps[i], and its interface is the
// one named by the capitalized enumerant (console -> Console).
TEST(manifest_schema_ids, KernelCapKindTableMatchesSchema) {
  auto kinds = capnp::Schema::from<s::KernelCapKind>().getEnumerants();
  ASSERT_EQ(kinds.size(), kKernelCapKindCount);
  for (auto e : kinds) {
    const KernelCapInfo& k = kKernelCaps[e.getOrdinal()];
    std::string name = e.getProto().getName();
    EXPECT_EQ(name, k.name);
    std::string iface_name = name;
    iface_name[0] = static_cast<char>(std::toupper(iface_name[0]));
    uint64_t id = 0;
    ASSERT_TRUE(capos::mkmanifest::interface_id(iface_name.c_str(), &id)) << iface_name;
    EXPECT_EQ(id, k.interface_id) << name;
  }
  EXPECT_EQ(capnp::Schema::from<s::LogLevel>().getEnumerants().size(), kLogLevelCount);
}

TEST(manifest_schema_ids, NameTableCoversEveryInterface) {
  EXPECT_STREQ(capos::mkmanifest::interface_name(iface::LogSink), "LogSink");
  EXPECT_EQ(capos::mkmanifest::interface_name(capnp::typeId<s::SystemManifest>()), nullptr);
  EXPECT_GE(capos::mkmanifest::kInterfaceNameCount, 20u);
}

TEST(manifest_schema_ids, NameBoundFitsCapSet) {
  EXPECT_EQ(kMaxNameBytes, capos::abi::CAPSET_NAME_MAX);
  EXPECT_LE(kMaxCapsPerProcess, capos::abi::CAPSET_MAX_ENTRIES);
}

}  // namespace
