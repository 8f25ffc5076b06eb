// The generated capOS schema API (capos::schema::wire) in use: a Console
// served over LoopbackTransport, and a SystemManifest built with our
// builders and decoded by libcapnp (dynamic API over the parsed schema).
#include <capnp/dynamic.h>
#include <capnp/schema-parser.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <kj/filesystem.h>

#include <string>

#include "schema/kernel.capnp.capos.h"
#include "schema/manifest.capnp.capos.h"

namespace w = capos::schema::wire;
namespace cc = capos::capnp;

#define T(expr) ({ auto _r = (expr); EXPECT_TRUE(_r.ok()) << #expr; if (!_r.ok()) return; *_r; })

namespace {

class FakeConsole : public w::Console::Server {
 public:
  std::string out;
  capos::Status write(w::Console::WriteParams::Reader p, w::Console::WriteResults::Builder r) override {
    capos::Bytes d = CAPOS_TRY(p.getData());
    if (d.size() > w::MAX_CONSOLE_WRITE_BYTES) return capos::fail(capos::Err::InvalidArgument);
    out.append(reinterpret_cast<const char*>(d.data()), d.size());
    r.setWritten(static_cast<uint32_t>(d.size()));
    return capos::ok_status();
  }
  capos::Status read(w::Console::ReadParams::Reader p, w::Console::ReadResult::Builder r) override {
    if (!p.getBlock()) {
      r.setWouldBlock();
      return capos::ok_status();
    }
    r.setDroppedBytes(1);
    return r.setData(capos::Bytes(reinterpret_cast<const uint8_t*>("key"), 3));
  }
};

}  // namespace

TEST(CapnpCaposWire, ConsoleOverLoopback) {
  FakeConsole console;
  cc::Server* table[] = {&console};
  static uint8_t scratch[1 << 13];
  cc::LoopbackTransport transport(capos::Span<cc::Server*>(table, 1), capos::MutBytes(scratch, sizeof scratch));
  w::Console::Client client(&transport, cc::Cap<w::Console>::unchecked(0));
  alignas(8) uint8_t pbuf[256], rbuf[256];

  cc::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
  ASSERT_TRUE(T(w::Console::Client::writeParams(params)).setData(capos::Bytes(reinterpret_cast<const uint8_t*>("hi\n"), 3)).ok());
  cc::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
  EXPECT_EQ(T(client.write(params, resp)).getWritten(), 3u);
  EXPECT_EQ(console.out, "hi\n");

  cc::FixedMessageBuilder rp(capos::MutBytes(pbuf, sizeof pbuf));
  T(w::Console::Client::readParams(rp)).setBlock(false);
  cc::Response r2(capos::MutBytes(rbuf, sizeof rbuf));
  EXPECT_TRUE(T(client.read(rp, r2)).isWouldBlock());
  T(w::Console::Client::readParams(rp)).setBlock(true);
  cc::Response r3(capos::MutBytes(rbuf, sizeof rbuf));
  auto res = T(client.read(rp, r3));
  EXPECT_EQ(res.which(), w::Console::ReadResult::Which::DATA);
  EXPECT_EQ(T(res.getData()).size(), 3u);
  EXPECT_EQ(res.getDroppedBytes(), 1u);
  // writeLine is not implemented by FakeConsole.
  cc::FixedMessageBuilder lp(capos::MutBytes(pbuf, sizeof pbuf));
  T(w::Console::Client::writeLineParams(lp));
  cc::Response r4(capos::MutBytes(rbuf, sizeof rbuf));
  EXPECT_EQ(client.writeLine(lp, r4).error(), capos::Err::Unsupported);
}

TEST(CapnpCaposWire, ManifestBuiltByOursReadByLibcapnp) {
  alignas(8) static uint8_t buf[1 << 14];
  cc::FixedMessageBuilder mb(capos::MutBytes(buf, sizeof buf));
  auto m = T(w::SystemManifest::initRoot(mb));
  m.setSchemaVersion(w::MANIFEST_SCHEMA_VERSION);
  auto bins = T(m.initBinaries(2));
  ASSERT_TRUE(bins[0].setName("init").ok());
  ASSERT_TRUE(bins[0].setData(capos::Bytes(reinterpret_cast<const uint8_t*>("\x7f" "ELF"), 4)).ok());
  ASSERT_TRUE(bins[1].setName("logd").ok());

  auto fs = kj::newDiskFilesystem();
  auto schema_dir = fs->getRoot().openSubdir(kj::Path::parse(&CAPOS_SCHEMA_DIR[1]));
  auto include_dir = fs->getRoot().openSubdir(kj::Path::parse("usr/include"));
  const kj::ReadableDirectory* import_path[] = {include_dir.get()};
  ::capnp::SchemaParser parser;
  auto file = parser.parseFromDirectory(*schema_dir, kj::Path::parse("manifest.capnp"), import_path);
  auto schema = file.getNested("SystemManifest").asStruct();

  auto framed = mb.framed();
  std::vector<uint64_t> words((framed.size() + 7) / 8);
  memcpy(words.data(), framed.data(), framed.size());
  ::capnp::FlatArrayMessageReader reader(kj::ArrayPtr<const ::capnp::word>(reinterpret_cast<const ::capnp::word*>(words.data()), words.size()));
  auto root = reader.getRoot<::capnp::DynamicStruct>(schema);
  EXPECT_EQ(root.get("schemaVersion").as<uint32_t>(), w::MANIFEST_SCHEMA_VERSION);
  auto list = root.get("binaries").as<::capnp::DynamicList>();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(std::string(list[1].as<::capnp::DynamicStruct>().get("name").as<::capnp::Text>().cStr()), "logd");
  EXPECT_EQ(list[0].as<::capnp::DynamicStruct>().get("data").as<::capnp::Data>().size(), 4u);
}
