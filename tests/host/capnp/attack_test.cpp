// Hand-crafted hostile messages: each must produce an error, never a
// crash, an out-of-bounds read (ASan) or an unbounded loop.
#include <gtest/gtest.h>

#include "lib/capnp/traverse.h"
#include "tests/host/capnp/test_util.h"

using namespace capnp_test;

namespace {

Err walk_error(const std::vector<uint8_t>& bytes, ReaderOptions opts = {}) {
  StreamReader<16> r;
  Status st = r.init(Bytes(bytes.data(), bytes.size()), opts);
  if (!st.ok()) return st.error();
  auto t = total_words(r.root_pointer());
  return t.ok() ? Err{} : t.error();
}

uint64_t sp(int32_t off, uint16_t dw, uint16_t pc) { return make_struct_ptr(off, dw, pc); }
uint64_t lp(int32_t off, ElementSize es, uint32_t n) { return make_list_ptr(off, es, n); }

}  // namespace

TEST(CapnpAttack, TruncatedSegmentTables) {
  std::vector<uint8_t> b = {0, 0};
  EXPECT_EQ(walk_error(b), Err::Truncated);
  // Two segments announced, header cut short.
  b = {1, 0, 0, 0, 1, 0, 0, 0};
  EXPECT_EQ(walk_error(b), Err::Truncated);
  // One segment of 2 words, only one word present.
  b = {0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(walk_error(b), Err::Truncated);
  // Segment size near 2^32 words must not overflow the size sum.
  b = {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  EXPECT_EQ(walk_error(b), Err::Truncated);
  // One segment (the reader's inline path) claiming 2^32-1 words.
  b = {0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(walk_error(b), Err::Truncated);
  // Huge segment count.
  b = {0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
  EXPECT_EQ(walk_error(b), Err::LimitExceeded);
  // More segments than the reader's table.
  std::vector<std::vector<uint64_t>> many(17, std::vector<uint64_t>{0});
  EXPECT_EQ(walk_error(frame(many)), Err::LimitExceeded);
  // Empty first segment: no root.
  StreamReader<> r;
  auto e = frame({{}});
  ASSERT_TRUE(r.init(Bytes(e.data(), e.size())).ok());
  EXPECT_EQ(r.root().error(), Err::Truncated);
}

TEST(CapnpAttack, OutOfRangeSegmentIds) {
  EXPECT_EQ(walk_error(frame({{make_far_ptr(false, 0, 1)}})), Err::Corrupt);
  EXPECT_EQ(walk_error(frame({{make_far_ptr(false, 0, 0xffffffff)}})), Err::Corrupt);
  // Double-far whose inner far names a missing segment.
  EXPECT_EQ(walk_error(frame({{make_far_ptr(true, 0, 1)}, {make_far_ptr(false, 0, 7), sp(0, 0, 0)}})),
            Err::Corrupt);
  // Landing pad offset past the end of its segment.
  EXPECT_EQ(walk_error(frame({{make_far_ptr(false, 5, 1)}, {0}})), Err::OutOfRange);
  EXPECT_EQ(walk_error(frame({{make_far_ptr(true, 0, 1)}, {0}})), Err::OutOfRange);
}

TEST(CapnpAttack, OverflowingOffsetsAndSizes) {
  EXPECT_EQ(walk_error(frame({{sp(kMaxOffset, 1, 0)}})), Err::OutOfRange);
  EXPECT_EQ(walk_error(frame({{sp(kMinOffset, 1, 0)}})), Err::OutOfRange);
  EXPECT_EQ(walk_error(frame({{sp(0, 0xffff, 0xffff), 0}})), Err::OutOfRange);
  EXPECT_EQ(walk_error(frame({{lp(0, ElementSize::EightBytes, kMaxListElements)}})), Err::OutOfRange);
  EXPECT_EQ(walk_error(frame({{lp(0, ElementSize::Bit, 65)}, {}})), Err::OutOfRange);
  EXPECT_EQ(walk_error(frame({{lp(-5, ElementSize::Byte, 1)}})), Err::OutOfRange);
  // Composite list whose tag claims more than the list's words.
  EXPECT_EQ(walk_error(frame({{lp(0, ElementSize::InlineComposite, 2), sp(3, 1, 0), 0, 0}})), Err::Corrupt);
  // Tag that is not a struct pointer / has a negative count.
  EXPECT_EQ(walk_error(frame({{lp(0, ElementSize::InlineComposite, 1), lp(1, ElementSize::Byte, 0), 0}})),
            Err::Corrupt);
  EXPECT_EQ(walk_error(frame({{lp(0, ElementSize::InlineComposite, 1), sp(-1, 1, 0), 0}})), Err::Corrupt);
}

TEST(CapnpAttack, PointerLoopsStopAtNestingLimit) {
  // Root -> struct{1 ptr} whose pointer points at its own struct.
  EXPECT_EQ(walk_error(frame({{sp(0, 0, 1), sp(-1, 0, 1)}})), Err::LimitExceeded);
  // Same with a list of pointers whose element points back at the list.
  EXPECT_EQ(walk_error(frame({{lp(0, ElementSize::Pointer, 1), lp(-1, ElementSize::Pointer, 1)}})),
            Err::LimitExceeded);
  // Loop through a far pointer and back.
  EXPECT_EQ(walk_error(frame({{make_far_ptr(false, 0, 1)}, {sp(0, 0, 1), make_far_ptr(false, 0, 1)}})),
            Err::LimitExceeded);
}

TEST(CapnpAttack, SharedSubtreesHitTraversalLimit) {
  // A struct with 1000 pointers, all to the same 1000-word struct: the
  // message is ~2000 words but a full walk would read ~1M words.
  std::vector<uint64_t> seg;
  seg.push_back(sp(0, 0, 1000));
  for (int i = 0; i < 1000; ++i) seg.push_back(sp(999 - i, 1000, 0));
  seg.resize(seg.size() + 1000, 0);
  ReaderOptions opts;
  opts.traversal_limit_words = 100000;
  EXPECT_EQ(walk_error(frame({seg}), opts), Err::LimitExceeded);
  EXPECT_EQ(walk_error(frame({seg})), Err{});  // default 8M words suffices
}

TEST(CapnpAttack, ZeroSizedElementAmplification) {
  // Two words claiming 2^29-1 zero-sized structs.
  auto m = frame({{lp(0, ElementSize::InlineComposite, 0), sp(static_cast<int32_t>(kMaxListElements), 0, 0)}});
  EXPECT_EQ(walk_error(m), Err::LimitExceeded);
  auto v = frame({{lp(0, ElementSize::Void, kMaxListElements)}});
  EXPECT_EQ(walk_error(v), Err::LimitExceeded);
  // Small claims are fine but still charged.
  StreamReader<> r;
  auto ok = frame({{lp(0, ElementSize::Void, 1000)}});
  ReaderOptions opts;
  opts.traversal_limit_words = 1500;
  ASSERT_TRUE(r.init(Bytes(ok.data(), ok.size()), opts).ok());
  EXPECT_TRUE(r.root_pointer().get_list(ElementSize::Void).ok());
  EXPECT_FALSE(r.root_pointer().get_list(ElementSize::Void).ok());
}

TEST(CapnpAttack, BadFarLandingPads) {
  // Single-far landing on another far pointer (no second hop allowed).
  EXPECT_EQ(walk_error(frame({{make_far_ptr(false, 0, 1)}, {make_far_ptr(false, 0, 1)}})), Err::Corrupt);
  // Double-far whose first pad word is not a far pointer.
  EXPECT_EQ(walk_error(frame({{make_far_ptr(true, 0, 1)}, {sp(0, 0, 0), sp(0, 0, 0)}})), Err::Corrupt);
  // Double-far whose tag is itself far.
  EXPECT_EQ(walk_error(frame({{make_far_ptr(true, 0, 1)}, {make_far_ptr(false, 0, 0), make_far_ptr(false, 0, 0)}})),
            Err::Corrupt);
  // A valid double-far: pad in segment 1, struct content in segment 2.
  auto good = frame({{make_far_ptr(true, 0, 1)}, {make_far_ptr(false, 0, 2), sp(0, 1, 0)}, {0x1234}});
  StreamReader<> r;
  ASSERT_TRUE(r.init(Bytes(good.data(), good.size())).ok());
  EXPECT_EQ(r.root()->get<uint64_t>(0), 0x1234u);
}

TEST(CapnpAttack, TypeConfusion) {
  StreamReader<> r;
  auto cap = frame({{make_cap_ptr(3)}});
  ASSERT_TRUE(r.init(Bytes(cap.data(), cap.size())).ok());
  EXPECT_EQ(r.root().error(), Err::Corrupt);
  EXPECT_EQ(*r.root_pointer().get_capability(), 3u);
  EXPECT_EQ(r.root_pointer().get_list(ElementSize::Byte).error(), Err::Corrupt);
  // "Other" pointer that is not a capability.
  EXPECT_EQ(walk_error(frame({{0x7}})), Err::Corrupt);
  // A struct read as text; text without NUL; empty text list.
  auto s = frame({{sp(0, 0, 1), lp(0, ElementSize::Byte, 3), 0x636261}});
  ASSERT_TRUE(r.init(Bytes(s.data(), s.size())).ok());
  EXPECT_EQ(r.root_pointer().get_text().error(), Err::Corrupt);
  EXPECT_EQ(r.root()->pointer(0).get_text().error(), Err::Corrupt);
  EXPECT_EQ(r.root()->pointer(0).get_data()->size(), 3u);
  auto e = frame({{lp(0, ElementSize::Byte, 0)}});
  ASSERT_TRUE(r.init(Bytes(e.data(), e.size())).ok());
  EXPECT_EQ(r.root_pointer().get_text().error(), Err::Corrupt);
  // Bit list where a struct list / byte list is expected.
  auto b = frame({{lp(0, ElementSize::Bit, 3), 0x5}});
  ASSERT_TRUE(r.init(Bytes(b.data(), b.size())).ok());
  EXPECT_EQ(r.root_pointer().get_list(ElementSize::InlineComposite).error(), Err::Corrupt);
  EXPECT_EQ(r.root_pointer().get_list(ElementSize::Byte).error(), Err::Corrupt);
  EXPECT_TRUE(r.root_pointer().get_list(ElementSize::Bit).ok());
  // Byte list where a pointer list is expected; pointer-only struct list
  // where a primitive list is expected.
  auto p = frame({{lp(0, ElementSize::Byte, 3), 0}});
  ASSERT_TRUE(r.init(Bytes(p.data(), p.size())).ok());
  EXPECT_EQ(r.root_pointer().get_list(ElementSize::Pointer).error(), Err::Corrupt);
  auto q = frame({{lp(0, ElementSize::InlineComposite, 1), sp(1, 0, 1), 0}});
  ASSERT_TRUE(r.init(Bytes(q.data(), q.size())).ok());
  EXPECT_EQ(r.root_pointer().get_list(ElementSize::FourBytes).error(), Err::Corrupt);
  EXPECT_TRUE(r.root_pointer().get_list(ElementSize::Pointer).ok());
}

TEST(CapnpAttack, NestingLimitOnDeepButFiniteChains) {
  // A chain of 100 structs, each with one pointer to the next.
  std::vector<uint64_t> seg;
  seg.push_back(sp(0, 0, 1));
  for (int i = 0; i < 100; ++i) seg.push_back(i == 99 ? 0 : sp(0, 0, 1));
  EXPECT_EQ(walk_error(frame({seg})), Err::LimitExceeded);
  ReaderOptions opts;
  opts.nesting_limit = 128;
  EXPECT_EQ(walk_error(frame({seg}), opts), Err{});
}

// StreamReader reads a one-segment message inline; it must agree with
// parse_stream (the general path) on every length, valid or not.
TEST(CapnpAttack, OneSegmentInlinePathMatchesParseStream) {
  for (uint32_t words = 0; words < 6; ++words) {
    for (size_t len = 0; len < 8 * (words + 3); ++len) {
      std::vector<uint8_t> b(len, 0xAB);
      for (size_t i = 0; i < 8 && i < len; ++i) b[i] = 0;
      if (len >= 8) b[4] = static_cast<uint8_t>(words);
      Segment segs[4];
      auto ref = parse_stream(Bytes(b.data(), b.size()), Span<Segment>(segs, 4));
      StreamReader<4> r;
      Status st = r.init(Bytes(b.data(), b.size()));
      ASSERT_EQ(st.ok(), ref.ok()) << "words " << words << " len " << len;
      if (!st.ok()) {
        EXPECT_EQ(st.error(), ref.error());
        continue;
      }
      EXPECT_EQ(r.bytes_consumed(), ref->bytes_consumed);
      const Segment* s0 = r.context().segment(0);
      ASSERT_NE(s0, nullptr);
      EXPECT_EQ(s0->start, segs[0].start);
      EXPECT_EQ(s0->words, segs[0].words);
      EXPECT_EQ(r.context().segment(1), nullptr);
    }
  }
}

// MessageReader::root()'s inline path (a near struct root in segment 0)
// against the general PointerReader::get_struct on the same message:
// every root pointer shape (null, struct at any offset and size, list,
// far, capability), every segment length, budgets that run out and a
// nesting limit of 0 give the same answer.
TEST(CapnpAttack, RootInlinePathMatchesGetStruct) {
  std::vector<uint64_t> roots = {0, sp(0, 0, 0), sp(-1, 0, 0), sp(0, 1, 0), sp(0, 2, 1), sp(1, 1, 1), sp(-2, 1, 0),
                                 sp(0, 5, 0), sp(0, 0xFFFF, 0xFFFF), sp(0x1FFFFFFF, 1, 0), sp(-0x20000000, 0, 1),
                                 lp(0, ElementSize::Byte, 3), 2 | (uint64_t{1} << 32), 3 | (uint64_t{4} << 32),
                                 0xFFFFFFFFFFFFFFFCull};
  for (uint64_t root : roots) {
    for (uint32_t words = 1; words < 6; ++words) {
      for (uint64_t budget : {uint64_t{0}, uint64_t{1}, uint64_t{2}, uint64_t{100}}) {
        for (int32_t nesting : {0, 1, 64}) {
          std::vector<uint8_t> b(8 + 8 * words, 0x5A);
          store<uint32_t>(b.data(), 0);
          store<uint32_t>(b.data() + 4, words);
          store<uint64_t>(b.data() + 8, root);
          ReaderOptions opts{budget, nesting};
          StreamReader<4> fast, slow;
          ASSERT_TRUE(fast.init(Bytes(b.data(), b.size()), opts).ok());
          ASSERT_TRUE(slow.init(Bytes(b.data(), b.size()), opts).ok());
          auto a = fast.root();
          auto r = slow.root_pointer().get_struct();
          SCOPED_TRACE(testing::Message() << std::hex << root << std::dec << " words " << words << " budget "
                                          << budget << " nesting " << nesting);
          ASSERT_EQ(a.ok(), r.ok());
          EXPECT_EQ(fast.context().budget(), slow.context().budget());
          if (!a.ok()) {
            EXPECT_EQ(a.error(), r.error());
            continue;
          }
          EXPECT_EQ(a->data(), r->data());
          EXPECT_EQ(a->pointers(), r->pointers());
          EXPECT_EQ(a->data_bits(), r->data_bits());
          EXPECT_EQ(a->pointer_count(), r->pointer_count());
          EXPECT_EQ(a->nesting(), r->nesting());
        }
      }
    }
  }
}
