// Generated API: unions, groups, defaults, constants, and the typed
// client/server over LoopbackTransport.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include "interop_test.capnp.h"
#include "tests/host/capnp/interop_test.capnp.capos.h"
#include "tests/host/capnp/test_util.h"

using namespace capnp_test;
namespace gen = capnp_gen::interop_test;
namespace cc = capos::capnp;

#define T(expr) ({ auto _r = (expr); EXPECT_TRUE(_r.ok()) << #expr; if (!_r.ok()) return; *_r; })

namespace {
std::string str(capos::Result<capos::StrView> r) { return r.ok() ? std::string(r->ptr, r->len) : "<error>"; }

std::vector<uint8_t> flat(::capnp::MessageBuilder& mb) {
  auto words = ::capnp::messageToFlatArray(mb);
  auto b = words.asBytes();
  return std::vector<uint8_t>(b.begin(), b.end());
}
}  // namespace

TEST(CapnpGenerated, UnionsAndGroupsOfficialToOurs) {
  ::capnp::MallocMessageBuilder mb;
  auto u = mb.initRoot<::Unions>();
  u.setTag(9);
  auto pair = u.initPair();
  pair.setLeft(3);
  pair.setRight(4);
  u.getNamed().initC(2).set(1, 200);
  u.getGrp().setX(77);
  u.getGrp().setY("why");
  auto bytes = flat(mb);
  cc::StreamReader<> reader;
  ASSERT_TRUE(reader.init(capos::Bytes(bytes.data(), bytes.size())).ok());
  auto r = T(gen::Unions::readRoot(reader));
  EXPECT_EQ(r.getTag(), 9);
  EXPECT_EQ(r.which(), gen::Unions::Which::PAIR);
  EXPECT_TRUE(r.isPair());
  EXPECT_FALSE(r.isNumber());
  EXPECT_EQ(r.getPair().getLeft(), 3);
  EXPECT_EQ(r.getPair().getRight(), 4);
  EXPECT_EQ(r.getNamed().which(), gen::Unions::Named::Which::C);
  EXPECT_EQ((T(r.getNamed().getC()))[1], 200);
  EXPECT_EQ(r.getGrp().getX(), 77u);
  EXPECT_EQ(str(r.getGrp().getY()), "why");
  EXPECT_EQ(r.getGrp().getInner().getZ(), -5);  // group field default
}

TEST(CapnpGenerated, UnionsAndGroupsOursToOfficial) {
  alignas(8) uint8_t buf[1024];
  cc::FixedMessageBuilder mb(capos::MutBytes(buf, sizeof buf));
  auto u = T(gen::Unions::initRoot(mb));
  ASSERT_TRUE(u.setText("hello").ok());
  EXPECT_TRUE(u.isText());
  u.getNamed().setB(123456);
  u.getGrp().getInner().setZ(42);
  auto framed = mb.framed();
  std::vector<uint8_t> copy(framed.begin(), framed.end());
  ::capnp::FlatArrayMessageReader r(kj::ArrayPtr<const ::capnp::word>(reinterpret_cast<const ::capnp::word*>(copy.data()), copy.size() / 8));
  auto root = r.getRoot<::Unions>();
  EXPECT_EQ(root.which(), ::Unions::TEXT);
  EXPECT_EQ(root.getText(), "hello");
  EXPECT_EQ(root.getNamed().which(), ::Unions::Named::B);
  EXPECT_EQ(root.getNamed().getB(), 123456u);
  EXPECT_EQ(root.getGrp().getInner().getZ(), 42);
  // Switching the union member, and initPair() clearing the group.
  u.initPair().setLeft(1);
  EXPECT_TRUE(u.isPair());
  EXPECT_EQ(u.asReader().getPair().getRight(), 0);
  u.setNone();
  EXPECT_EQ(u.which(), gen::Unions::Which::NONE);
}

TEST(CapnpGenerated, DefaultsOnReadAndOnBuild) {
  ::capnp::MallocMessageBuilder empty;
  empty.initRoot<::Defaults>();
  auto bytes = flat(empty);
  cc::StreamReader<> reader;
  ASSERT_TRUE(reader.init(capos::Bytes(bytes.data(), bytes.size())).ok());
  auto d = T(gen::Defaults::readRoot(reader));
  EXPECT_TRUE(d.getBoolField());
  EXPECT_EQ(d.getInt8Field(), -123);
  EXPECT_EQ(d.getInt64Field(), -123456789012345ll);
  EXPECT_EQ(d.getUInt64Field(), 12345678901234567890ull);
  EXPECT_EQ(d.getFloat32Field(), 1234.5f);
  EXPECT_EQ(d.getFloat64Field(), -123e45);
  EXPECT_EQ(str(d.getTextField()), "foo");
  EXPECT_EQ(d.getDataField()->size(), 3u);
  EXPECT_EQ(T(d.getStructField()).getA(), 7u);
  EXPECT_EQ(str(T(d.getStructField()).getB()), "seven");
  EXPECT_EQ(d.getEnumField(), gen::Color::ULTRAVIOLET);
  EXPECT_EQ((T(d.getInt32List()))[1], -2);
  EXPECT_EQ(str((T(d.getTextList()))[1]), "xyzzy");
  EXPECT_EQ(str((T(d.getStructList()))[0].getB()), "one");
  EXPECT_TRUE((T(d.getBoolList()))[3]);

  // Builder: setting a field to its default stores zero bits; get* on a
  // null pointer field copies the default in.
  alignas(8) uint8_t buf[2048];
  cc::FixedMessageBuilder mb(capos::MutBytes(buf, sizeof buf));
  auto b = T(gen::Defaults::initRoot(mb));
  EXPECT_EQ(b.getInt16Field(), -12345);
  b.setInt16Field(5);
  EXPECT_EQ(b.getInt16Field(), 5);
  auto sf = T(b.getStructField());
  EXPECT_EQ(sf.getA(), 7u);
  sf.setA(8);
  auto il = T(b.getInt32List());
  EXPECT_EQ(il.size(), 3u);
  auto framed = mb.framed();
  std::vector<uint8_t> copy(framed.begin(), framed.end());
  ::capnp::FlatArrayMessageReader r(kj::ArrayPtr<const ::capnp::word>(reinterpret_cast<const ::capnp::word*>(copy.data()), copy.size() / 8));
  auto root = r.getRoot<::Defaults>();
  EXPECT_EQ(root.getInt16Field(), 5);
  EXPECT_EQ(root.getStructField().getA(), 8u);
  EXPECT_EQ(root.getStructField().getB(), "seven");
  EXPECT_EQ(root.getInt32List()[2], 3);
  EXPECT_EQ(root.getInt8Field(), -123);
}

TEST(CapnpGenerated, Constants) {
  EXPECT_EQ(gen::CONST_U32, 4242u);
  EXPECT_TRUE(gen::CONST_TEXT == capos::StrView("constant text"));
  EXPECT_EQ(T(gen::CONST_SMALL.get()).getA(), 9u);
  EXPECT_EQ(str(T(gen::CONST_SMALL.get()).getB()), "nine");
  auto l = T(gen::CONST_LIST.get());
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[1], -6);
  EXPECT_EQ(gen::CONST_COLOR, gen::Color::GREEN);
  static_assert(gen::Echo::kInterfaceId == gen::Echo::kTypeId);
  static_assert(static_cast<uint16_t>(gen::Echo::Method::DESCRIBE) == 2);
}

namespace {

class EchoImpl : public gen::Echo::Server {
 public:
  capos::Status echo(gen::Echo::EchoParams::Reader p, gen::Echo::EchoResults::Builder r) override {
    capos::StrView v = CAPOS_TRY(p.getValue());
    std::string out;
    for (uint32_t i = 0; i < p.getTimes(); ++i) out.append(v.ptr, v.len);
    r.setCount(p.getTimes());
    return r.setResult(capos::StrView(out.data(), out.size()));
  }
  capos::Status sum(gen::Echo::SumParams::Reader p, gen::Echo::SumResults::Builder r) override {
    int64_t total = 0;
    for (int64_t v : CAPOS_TRY(p.getValues())) total += v;
    r.setTotal(total);
    return capos::ok_status();
  }
  capos::Status describe(gen::Echo::DescribeParams::Reader p, gen::Echo::DescribeResults::Builder r) override {
    return r.setCopy(CAPOS_TRY(p.getItem()));  // color left at its default (blue)
  }
  // nothing() is left unimplemented on purpose.
};

}  // namespace

TEST(CapnpGenerated, ClientServerOverLoopback) {
  EchoImpl impl;
  cc::Server* table[] = {nullptr, &impl};
  static uint8_t scratch[1 << 14];
  cc::LoopbackTransport transport(capos::Span<cc::Server*>(table, 2), capos::MutBytes(scratch, sizeof scratch));
  gen::Echo::Client echo(&transport, cc::Cap<gen::Echo>::unchecked(1));

  alignas(8) uint8_t pbuf[512], rbuf[1024];
  {
    cc::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
    auto p = T(gen::Echo::Client::echoParams(params));
    ASSERT_TRUE(p.setValue("ab").ok());
    p.setTimes(3);
    cc::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
    auto r = T(echo.echo(params, resp));
    EXPECT_EQ(str(r.getResult()), "ababab");
    EXPECT_EQ(r.getCount(), 3u);
  }
  {
    cc::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
    auto l = T(T(gen::Echo::Client::sumParams(params)).initValues(4));
    for (uint32_t i = 0; i < 4; ++i) l.set(i, static_cast<int64_t>(i) * 1000000000000ll);
    cc::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
    EXPECT_EQ(T(echo.sum(params, resp)).getTotal(), 6000000000000ll);
  }
  {
    cc::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
    auto item = T(T(gen::Echo::Client::describeParams(params)).initItem());
    item.setA(5);
    ASSERT_TRUE(item.setB("five").ok());
    cc::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
    auto r = T(echo.describe(params, resp));
    EXPECT_EQ(str(T(r.getCopy()).getB()), "five");
    EXPECT_EQ(r.getColor(), gen::Color::BLUE);
  }
  {
    cc::FixedMessageBuilder params(capos::MutBytes(pbuf, sizeof pbuf));
    T(gen::Echo::Client::nothingParams(params));
    cc::Response resp(capos::MutBytes(rbuf, sizeof rbuf));
    EXPECT_EQ(echo.nothing(params, resp).error(), capos::Err::Unsupported);
    gen::Echo::Client missing(&transport, cc::Cap<gen::Echo>::unchecked(0));
    EXPECT_EQ(missing.nothing(params, resp).error(), capos::Err::NotFound);
    EXPECT_EQ(gen::Echo::Client().nothing(params, resp).error(), capos::Err::Disconnected);
  }
}
