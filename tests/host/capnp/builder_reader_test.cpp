// Round trips through our own builder and reader (no libcapnp involved).
#include <gtest/gtest.h>

#include "lib/capnp/list.h"
#include "lib/capnp/traverse.h"
#include "tests/host/capnp/test_util.h"

using namespace capnp_test;

TEST(CapnpBuild, FixedRoundTripPrimitivesAndPointers) {
  alignas(8) uint8_t buf[512];
  FixedMessageBuilder mb(MutBytes(buf, sizeof buf));
  StructBuilder root = *mb.init_root(2, 3);
  root.set<uint32_t>(0, 0xdeadbeef);
  root.set<int16_t>(2, -7);
  root.set_bool(127, true);
  ASSERT_TRUE(root.pointer(0).set_text("hello").ok());
  ListBuilder l = *root.pointer(1).init_list(ElementSize::FourBytes, 3);
  for (uint32_t i = 0; i < 3; ++i) l.set<uint32_t>(i, i * 10);
  StructBuilder child = *root.pointer(2).init_struct(1, 0);
  child.set<uint64_t>(0, 42);

  Bytes framed = mb.framed();
  StreamReader<> r;
  ASSERT_TRUE(r.init(framed).ok());
  StructReader s = *r.root();
  EXPECT_EQ(s.get<uint32_t>(0), 0xdeadbeefu);
  EXPECT_EQ(s.get<int16_t>(2), -7);
  EXPECT_TRUE(s.get_bool(127));
  EXPECT_FALSE(s.get_bool(126));
  EXPECT_EQ(s.get<uint64_t>(5), 0u);  // beyond the data section: default
  EXPECT_EQ(s.get<uint64_t>(5, 99), 99u);
  EXPECT_TRUE(*s.pointer(0).get_text() == StrView("hello"));
  ListReader lr = *s.pointer(1).get_list(ElementSize::FourBytes);
  ASSERT_EQ(lr.size(), 3u);
  EXPECT_EQ(lr.get<uint32_t>(2), 20u);
  EXPECT_EQ(lr.get<uint32_t>(3), 0u);  // out of range reads zero
  EXPECT_EQ(s.pointer(2).get_struct()->get<uint64_t>(0), 42u);
  EXPECT_TRUE(s.pointer(9).is_null());
  EXPECT_EQ(*total_words(s), 2u + 3u + 1u + 2u + 1u);
}

TEST(CapnpBuild, FixedBufferExhaustionIsAnError) {
  alignas(8) uint8_t buf[64];
  FixedMessageBuilder mb(MutBytes(buf, sizeof buf));
  StructBuilder root = *mb.init_root(1, 1);
  auto r = root.pointer(0).init_data(1000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::OutOfMemory);
  EXPECT_TRUE(root.pointer(0).is_null());
}

TEST(CapnpBuild, GrowableUsesFarPointersAcrossSegments) {
  HeapAllocator alloc(4);
  GrowableMessageBuilder<64> mb(&alloc);
  StructBuilder root = *mb.init_root(1, 4);
  root.set<uint64_t>(0, 1);
  for (uint16_t i = 0; i < 4; ++i) {
    StructBuilder c = *root.pointer(i).init_struct(2, 1);
    c.set<uint64_t>(1, 100 + i);
    ASSERT_TRUE(c.pointer(0).set_text("a longer text that spills segments").ok());
  }
  EXPECT_GT(mb.segments().size(), 4u);
  auto bytes = to_stream(mb);
  StreamReader<64> r;
  ASSERT_TRUE(r.init(Bytes(bytes.data(), bytes.size())).ok());
  StructReader s = *r.root();
  for (uint16_t i = 0; i < 4; ++i) {
    StructReader c = *s.pointer(i).get_struct();
    EXPECT_EQ(c.get<uint64_t>(1), 100u + i);
    EXPECT_TRUE(*c.pointer(0).get_text() == StrView("a longer text that spills segments"));
  }
}

TEST(CapnpBuild, SegmentTableFullIsAnError) {
  HeapAllocator alloc(1);
  GrowableMessageBuilder<2> mb(&alloc);
  StructBuilder root = *mb.init_root(0, 1);
  EXPECT_FALSE(root.pointer(0).init_struct(8, 0).ok());
}

TEST(CapnpBuild, AllocatorFailureIsAnError) {
  HeapAllocator alloc(8);
  alloc.set_limit(1);
  GrowableMessageBuilder<8> mb(&alloc);
  StructBuilder root = *mb.init_root(0, 1);
  auto r = root.pointer(0).init_struct(16, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::OutOfMemory);
}

TEST(CapnpBuild, StructListAndTypedLists) {
  alignas(8) uint8_t buf[1024];
  FixedMessageBuilder mb(MutBytes(buf, sizeof buf));
  StructBuilder root = *mb.init_root(0, 4);
  ListBuilder sl = *root.pointer(0).init_struct_list(3, 1, 1);
  for (uint32_t i = 0; i < 3; ++i) {
    sl.get_struct(i).set<uint32_t>(1, i + 1);
    ASSERT_TRUE(sl.get_struct(i).pointer(0).set_text(i == 1 ? "mid" : "x").ok());
  }
  auto bl = *List<bool>::init(root.pointer(1), 10);
  bl.set(3, true);
  bl.set(9, true);
  auto tl = *List<Text>::init(root.pointer(2), 2);
  ASSERT_TRUE(tl.set(1, "second").ok());
  auto ll = *List<List<int16_t>>::init(root.pointer(3), 2);
  auto inner = *ll.init(1, 3);
  inner.set(2, -3);

  StreamReader<> r;
  ASSERT_TRUE(r.init(mb.framed()).ok());
  StructReader s = *r.root();
  ListReader l = *s.pointer(0).get_list(ElementSize::InlineComposite);
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l.get_struct(2).get<uint32_t>(1), 3u);
  EXPECT_TRUE(*l.get_struct(1).pointer(0).get_text() == StrView("mid"));
  auto bools = *List<bool>::read(s.pointer(1));
  EXPECT_TRUE(bools[3]);
  EXPECT_TRUE(bools[9]);
  EXPECT_FALSE(bools[4]);
  auto texts = *List<Text>::read(s.pointer(2));
  EXPECT_TRUE(texts[0].ok());  // null element reads as empty text
  EXPECT_TRUE(*texts[1] == StrView("second"));
  auto lists = *List<List<int16_t>>::read(s.pointer(3));
  EXPECT_EQ(lists[0]->size(), 0u);
  EXPECT_EQ((*lists[1])[2], -3);
  // A primitive list read as a struct list: each element is a struct whose
  // first field is the element (the spec's list upgrade).
  ListReader up = *s.pointer(3).get_list(ElementSize::InlineComposite);
  EXPECT_EQ(up.size(), 2u);
}

TEST(CapnpBuild, DeepCopyPreservesContent) {
  alignas(8) uint8_t a[512], b[512];
  FixedMessageBuilder src(MutBytes(a, sizeof a));
  StructBuilder root = *src.init_root(1, 2);
  root.set<uint64_t>(0, 7);
  ASSERT_TRUE(root.pointer(0).set_data(Bytes(reinterpret_cast<const uint8_t*>("xyz"), 3)).ok());
  root.pointer(1).set_capability(5);
  FixedMessageBuilder dst(MutBytes(b, sizeof b));
  PointerBuilder dr = *dst.root_pointer();
  ASSERT_TRUE(dr.set_struct(root.as_reader()).ok());
  StreamReader<> r;
  ASSERT_TRUE(r.init(dst.framed()).ok());
  StructReader s = *r.root();
  EXPECT_EQ(s.get<uint64_t>(0), 7u);
  EXPECT_EQ(s.pointer(0).get_data()->size(), 3u);
  EXPECT_EQ(*s.pointer(1).get_capability(), 5u);
  EXPECT_EQ(0, memcmp(src.framed().data(), dst.framed().data(), src.framed().size()));
}

// write_stream's one-segment path (every fixed-buffer message the runtime
// sends): the same bytes as framed(), a short buffer refused untouched, and
// framing over the builder's own buffer (no copy needed) still correct.
TEST(CapnpBuild, WriteStreamOneSegment) {
  alignas(8) uint8_t buf[128];
  FixedMessageBuilder mb(MutBytes(buf, sizeof buf));
  StructBuilder root = *mb.init_root(1, 1);
  root.set<uint64_t>(0, 0x1122334455667788ull);
  ASSERT_TRUE(root.pointer(0).set_text("abc").ok());
  ASSERT_EQ(mb.segments().size(), 1u);
  Bytes framed = mb.framed();
  ASSERT_EQ(framed.size(), mb.stream_size());

  alignas(8) uint8_t out[128];
  memset(out, 0xEE, sizeof out);
  auto n = mb.write_stream(MutBytes(out, sizeof out));
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, framed.size());
  EXPECT_EQ(0, memcmp(out, framed.data(), framed.size()));
  EXPECT_EQ(out[framed.size()], 0xEE);  // nothing written past the message

  alignas(8) uint8_t small[128];
  memset(small, 0xEE, sizeof small);
  auto r = mb.write_stream(MutBytes(small, framed.size() - 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Err::OutOfRange);
  for (uint8_t b : small) ASSERT_EQ(b, 0xEE);

  // Into the builder's own buffer: the segment already sits after the header word.
  std::vector<uint8_t> want(framed.data(), framed.data() + framed.size());
  auto self = mb.write_stream(MutBytes(buf, sizeof buf));
  ASSERT_TRUE(self.ok());
  ASSERT_EQ(*self, want.size());
  EXPECT_EQ(0, memcmp(buf, want.data(), want.size()));
}
