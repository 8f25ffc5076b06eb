// The generated API (capnpc-capos) against the official generated API, on
// the interop schema: official builds -> our generated readers; our
// generated builders -> byte-identical to the official builders given the
// same call sequence (single and multi-segment), and canonical-equal.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>

#include "interop_test.capnp.h"
#include "tests/host/capnp/interop_test.capnp.capos.h"
#include "tests/host/capnp/test_util.h"

using namespace capnp_test;
namespace gen = capnp_gen::interop_test;
namespace cc = capos::capnp;

namespace {

kj::ArrayPtr<const kj::byte> bytes(const char* s) { return kj::StringPtr(s).asBytes(); }
capos::Bytes cbytes(const char* s) { return capos::Bytes(reinterpret_cast<const uint8_t*>(s), strlen(s)); }
std::string str(capos::Result<capos::StrView> r) { return r.ok() ? std::string(r->ptr, r->len) : "<error>"; }

// The same content, written in the same order, through both APIs.
void fill_official(::AllTypes::Builder b) {
  b.setBoolField(true);
  b.setInt8Field(-123);
  b.setInt16Field(-12345);
  b.setInt32Field(-12345678);
  b.setInt64Field(-123456789012345ll);
  b.setUInt8Field(234);
  b.setUInt16Field(45678);
  b.setUInt32Field(3456789012u);
  b.setUInt64Field(12345678901234567890ull);
  b.setFloat32Field(1234.5f);
  b.setFloat64Field(-123e45);
  b.setTextField("foo");
  b.setDataField(bytes("bar"));
  auto s = b.initStructField();
  s.setInt32Field(7);
  s.setTextField("nested");
  s.initStructList(1)[0].setA(11);
  b.setEnumField(::Color::BLUE);
  b.initVoidList(3);
  auto bl = b.initBoolList(9);
  bl.set(0, true); bl.set(3, true); bl.set(8, true);
  auto i8 = b.initInt8List(2); i8.set(0, 111); i8.set(1, -111);
  auto i16 = b.initInt16List(2); i16.set(0, 11111); i16.set(1, -11111);
  auto i32 = b.initInt32List(2); i32.set(0, 111111111); i32.set(1, -111111111);
  auto i64 = b.initInt64List(2); i64.set(0, 1111111111111111111ll); i64.set(1, -1111111111111111111ll);
  auto u8 = b.initUInt8List(2); u8.set(0, 111); u8.set(1, 222);
  auto u16 = b.initUInt16List(2); u16.set(0, 33333); u16.set(1, 44444);
  auto u32 = b.initUInt32List(1); u32.set(0, 3333333333u);
  auto u64 = b.initUInt64List(1); u64.set(0, 11111111111111111111ull);
  auto f32 = b.initFloat32List(2); f32.set(0, 5555.5f); f32.set(1, -0.25f);
  auto f64 = b.initFloat64List(2); f64.set(0, 7777.75); f64.set(1, 1e306);
  auto tl = b.initTextList(3); tl.set(0, "plugh"); tl.set(1, "xyzzy"); tl.set(2, "thud");
  auto dl = b.initDataList(2); dl.set(0, bytes("oops")); dl.set(1, bytes("rfc3092"));
  auto sl = b.initStructList(3);
  sl[0].setA(1); sl[0].setB("x1"); sl[1].setA(2); sl[2].setA(3); sl[2].setB("x3");
  auto el = b.initEnumList(3); el.set(0, ::Color::RED); el.set(1, ::Color::ULTRAVIOLET); el.set(2, static_cast<::Color>(9));
  auto ll = b.initListList(3);
  auto l0 = ll.init(0, 3); l0.set(0, 1); l0.set(1, 2); l0.set(2, 3);
  ll.init(1, 0);
  ll.init(2, 1).set(0, -5);
  auto tll = b.initTextListList(2);
  tll.init(0, 1).set(0, "a");
  auto t1 = tll.init(1, 2); t1.set(0, "b"); t1.set(1, "c");
  auto sll = b.initStructListList(2);
  sll.init(0, 1)[0].setA(5);
  auto s1 = sll.init(1, 2); s1[0].setA(6); s1[1].setA(7); s1[1].setB("z");
}

#define T(expr) ({ auto _r = (expr); EXPECT_TRUE(_r.ok()) << #expr; if (!_r.ok()) return; *_r; })

void fill_ours(gen::AllTypes::Builder b) {
  b.setBoolField(true);
  b.setInt8Field(-123);
  b.setInt16Field(-12345);
  b.setInt32Field(-12345678);
  b.setInt64Field(-123456789012345ll);
  b.setUInt8Field(234);
  b.setUInt16Field(45678);
  b.setUInt32Field(3456789012u);
  b.setUInt64Field(12345678901234567890ull);
  b.setFloat32Field(1234.5f);
  b.setFloat64Field(-123e45);
  ASSERT_TRUE(b.setTextField("foo").ok());
  ASSERT_TRUE(b.setDataField(cbytes("bar")).ok());
  auto s = T(b.initStructField());
  s.setInt32Field(7);
  ASSERT_TRUE(s.setTextField("nested").ok());
  T(s.initStructList(1))[0].setA(11);
  b.setEnumField(gen::Color::BLUE);
  T(b.initVoidList(3));
  auto bl = T(b.initBoolList(9));
  bl.set(0, true); bl.set(3, true); bl.set(8, true);
  auto i8 = T(b.initInt8List(2)); i8.set(0, 111); i8.set(1, -111);
  auto i16 = T(b.initInt16List(2)); i16.set(0, 11111); i16.set(1, -11111);
  auto i32 = T(b.initInt32List(2)); i32.set(0, 111111111); i32.set(1, -111111111);
  auto i64 = T(b.initInt64List(2)); i64.set(0, 1111111111111111111ll); i64.set(1, -1111111111111111111ll);
  auto u8 = T(b.initUInt8List(2)); u8.set(0, 111); u8.set(1, 222);
  auto u16 = T(b.initUInt16List(2)); u16.set(0, 33333); u16.set(1, 44444);
  auto u32 = T(b.initUInt32List(1)); u32.set(0, 3333333333u);
  auto u64 = T(b.initUInt64List(1)); u64.set(0, 11111111111111111111ull);
  auto f32 = T(b.initFloat32List(2)); f32.set(0, 5555.5f); f32.set(1, -0.25f);
  auto f64 = T(b.initFloat64List(2)); f64.set(0, 7777.75); f64.set(1, 1e306);
  auto tl = T(b.initTextList(3));
  ASSERT_TRUE(tl.set(0, "plugh").ok() && tl.set(1, "xyzzy").ok() && tl.set(2, "thud").ok());
  auto dl = T(b.initDataList(2));
  ASSERT_TRUE(dl.set(0, cbytes("oops")).ok() && dl.set(1, cbytes("rfc3092")).ok());
  auto sl = T(b.initStructList(3));
  sl[0].setA(1); ASSERT_TRUE(sl[0].setB("x1").ok()); sl[1].setA(2); sl[2].setA(3); ASSERT_TRUE(sl[2].setB("x3").ok());
  auto el = T(b.initEnumList(3)); el.set(0, gen::Color::RED); el.set(1, gen::Color::ULTRAVIOLET); el.set(2, static_cast<gen::Color>(9));
  auto ll = T(b.initListList(3));
  auto l0 = T(ll.init(0, 3)); l0.set(0, 1); l0.set(1, 2); l0.set(2, 3);
  T(ll.init(1, 0));
  T(ll.init(2, 1)).set(0, -5);
  auto tll = T(b.initTextListList(2));
  ASSERT_TRUE(T(tll.init(0, 1)).set(0, "a").ok());
  auto t1 = T(tll.init(1, 2)); ASSERT_TRUE(t1.set(0, "b").ok() && t1.set(1, "c").ok());
  auto sll = T(b.initStructListList(2));
  T(sll.init(0, 1))[0].setA(5);
  auto s1 = T(sll.init(1, 2)); s1[0].setA(6); s1[1].setA(7); ASSERT_TRUE(s1[1].setB("z").ok());
}

// Every value, through our generated Reader.
void check_ours(gen::AllTypes::Reader r) {
  EXPECT_TRUE(r.getBoolField());
  EXPECT_EQ(r.getInt8Field(), -123);
  EXPECT_EQ(r.getInt16Field(), -12345);
  EXPECT_EQ(r.getInt32Field(), -12345678);
  EXPECT_EQ(r.getInt64Field(), -123456789012345ll);
  EXPECT_EQ(r.getUInt8Field(), 234);
  EXPECT_EQ(r.getUInt16Field(), 45678);
  EXPECT_EQ(r.getUInt32Field(), 3456789012u);
  EXPECT_EQ(r.getUInt64Field(), 12345678901234567890ull);
  EXPECT_EQ(r.getFloat32Field(), 1234.5f);
  EXPECT_EQ(r.getFloat64Field(), -123e45);
  EXPECT_EQ(str(r.getTextField()), "foo");
  EXPECT_EQ(r.getDataField()->size(), 3u);
  auto s = T(r.getStructField());
  EXPECT_EQ(s.getInt32Field(), 7);
  EXPECT_EQ(str(s.getTextField()), "nested");
  EXPECT_EQ(T(s.getStructList())[0].getA(), 11u);
  EXPECT_FALSE(T(s.getStructField()).getBoolField());  // null struct: all defaults
  EXPECT_EQ(r.getEnumField(), gen::Color::BLUE);
  EXPECT_EQ(T(r.getVoidList()).size(), 3u);
  auto bl = T(r.getBoolList());
  ASSERT_EQ(bl.size(), 9u);
  EXPECT_TRUE(bl[0]); EXPECT_FALSE(bl[1]); EXPECT_TRUE(bl[3]); EXPECT_TRUE(bl[8]);
  auto i8 = T(r.getInt8List()); EXPECT_EQ(i8[1], -111);
  auto i16 = T(r.getInt16List()); EXPECT_EQ(i16[1], -11111);
  auto i32 = T(r.getInt32List()); EXPECT_EQ(i32[0], 111111111);
  auto i64 = T(r.getInt64List()); EXPECT_EQ(i64[1], -1111111111111111111ll);
  auto u8 = T(r.getUInt8List()); EXPECT_EQ(u8[1], 222);
  auto u16 = T(r.getUInt16List()); EXPECT_EQ(u16[0], 33333);
  auto u32 = T(r.getUInt32List()); EXPECT_EQ(u32[0], 3333333333u);
  auto u64 = T(r.getUInt64List()); EXPECT_EQ(u64[0], 11111111111111111111ull);
  auto f32 = T(r.getFloat32List()); EXPECT_EQ(f32[0], 5555.5f); EXPECT_EQ(f32[1], -0.25f);
  auto f64 = T(r.getFloat64List()); EXPECT_EQ(f64[1], 1e306);
  auto tl = T(r.getTextList());
  ASSERT_EQ(tl.size(), 3u);
  EXPECT_EQ(str(tl[2]), "thud");
  std::string joined;
  for (auto t : tl) joined += str(t);
  EXPECT_EQ(joined, "plughxyzzythud");
  auto dl = T(r.getDataList()); EXPECT_EQ(dl[1]->size(), 7u);
  auto sl = T(r.getStructList());
  ASSERT_EQ(sl.size(), 3u);
  uint32_t sum = 0;
  for (auto e : sl) sum += e.getA();
  EXPECT_EQ(sum, 6u);
  EXPECT_EQ(str(sl[2].getB()), "x3");
  EXPECT_FALSE(sl[1].hasB());
  auto el = T(r.getEnumList());
  EXPECT_EQ(el[1], gen::Color::ULTRAVIOLET);
  EXPECT_EQ(static_cast<uint16_t>(el[2]), 9);  // unknown enumerant survives
  auto ll = T(r.getListList());
  ASSERT_EQ(ll.size(), 3u);
  EXPECT_EQ((*ll[0])[2], 3);
  EXPECT_EQ(ll[1]->size(), 0u);
  EXPECT_EQ((*ll[2])[0], -5);
  auto tll = T(r.getTextListList());
  EXPECT_EQ(str((*tll[1])[1]), "c");
  auto sll = T(r.getStructListList());
  EXPECT_EQ((*sll[1])[1].getA(), 7u);
  EXPECT_EQ(str((*sll[1])[1].getB()), "z");
  EXPECT_FALSE(r.hasInterfaceField());
}

std::vector<uint8_t> flat(::capnp::MessageBuilder& mb) {
  auto words = ::capnp::messageToFlatArray(mb);
  auto b = words.asBytes();
  return std::vector<uint8_t>(b.begin(), b.end());
}

}  // namespace

TEST(CapnpGenerated, OfficialBuildsOursReads) {
  for (uint32_t seg : {1024u, 8u}) {
    ::capnp::MallocMessageBuilder mb(seg, seg < 64 ? ::capnp::AllocationStrategy::FIXED_SIZE : ::capnp::AllocationStrategy::GROW_HEURISTICALLY);
    fill_official(mb.initRoot<::AllTypes>());
    auto bytes = flat(mb);
    cc::StreamReader<256> reader;
    ASSERT_TRUE(reader.init(capos::Bytes(bytes.data(), bytes.size())).ok());
    check_ours(T(gen::AllTypes::readRoot(reader)));
  }
}

TEST(CapnpGenerated, OursBuildsByteIdenticalToOfficial) {
  for (uint32_t seg : {0u, 8u, 32u}) {
    std::unique_ptr<::capnp::MallocMessageBuilder> ref;
    if (seg) ref = std::make_unique<::capnp::MallocMessageBuilder>(seg, ::capnp::AllocationStrategy::FIXED_SIZE);
    else ref = std::make_unique<::capnp::MallocMessageBuilder>(4096);
    fill_official(ref->initRoot<::AllTypes>());
    HeapAllocator alloc(seg ? seg : 4096);
    cc::GrowableMessageBuilder<512> ours(&alloc);
    auto root_builder = T(gen::AllTypes::initRoot(ours));
    fill_ours(root_builder);
    auto theirs = ref->getSegmentsForOutput();
    ASSERT_EQ(theirs.size(), ours.segments().size()) << "segment size " << seg;
    for (size_t i = 0; i < theirs.size(); ++i) {
      ASSERT_EQ(theirs[i].size(), ours.segments()[i].words);
      EXPECT_EQ(0, memcmp(theirs[i].begin(), ours.segments()[i].start, theirs[i].size() * 8)) << "segment " << i;
    }
    // And the official reader accepts ours (spot checks; equality is above).
    auto bytes = to_stream(ours);
    ::capnp::FlatArrayMessageReader r(kj::ArrayPtr<const ::capnp::word>(reinterpret_cast<const ::capnp::word*>(bytes.data()), bytes.size() / 8));
    auto root = r.getRoot<::AllTypes>();
    EXPECT_EQ(root.getStructListList()[1][1].getB(), "z");
    EXPECT_EQ(root.getFloat64List()[1], 1e306);
    // Our reader over our own output, and the builder's asReader view.
    cc::StreamReader<512> again;
    ASSERT_TRUE(again.init(capos::Bytes(bytes.data(), bytes.size())).ok());
    check_ours(T(gen::AllTypes::readRoot(again)));
    check_ours(root_builder.asReader());
  }
}
