// lib/mm/range_set: unit tests for each operation and its failure modes,
// then randomized runs against the page-map reference model shared with
// the fuzzer (tests/fuzz/range_set/range_set_model.h).
#include "lib/mm/range_set.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/fuzz/range_set/range_set_model.h"

namespace {

using namespace capos::mm;
using capos::Err;

constexpr uint64_t P = kPageSize;
constexpr uint64_t B = 0x400000;
const RangeAttrs kRW{RangeState::Committed, kProtRead | kProtWrite, 0, 0};
const RangeAttrs kRO{RangeState::Committed, kProtRead, 0, 0};
const RangeAttrs kRes{RangeState::Reserved, 0, 0, 0};

struct Fixture {
  std::vector<Range> storage;
  RangeSet set;
  explicit Fixture(size_t cap) : storage(cap), set(capos::Span<Range>(storage.data(), cap)) {}
};

TEST(RangeSet, InsertFindAndOverlap) {
  Fixture f(8);
  ASSERT_TRUE(f.set.insert(B, 4, kRW).ok());
  ASSERT_TRUE(f.set.insert(B + 10 * P, 2, kRO).ok());
  EXPECT_EQ(f.set.insert(B + 3 * P, 1, kRW).error(), Err::AlreadyExists);
  EXPECT_EQ(f.set.insert(B + 9 * P, 2, kRO).error(), Err::AlreadyExists);
  EXPECT_EQ(f.set.insert(B - P, 20, kRO).error(), Err::AlreadyExists);
  auto r = f.set.find(B + 2 * P + 17);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->base, B);
  EXPECT_EQ(r->pages, 4u);
  EXPECT_EQ(f.set.find(B + 4 * P).error(), Err::NotFound);
  EXPECT_EQ(f.set.find(B - 1).error(), Err::NotFound);
  EXPECT_EQ(f.set.size(), 2u);
  EXPECT_TRUE(f.set.check_invariants());
}

TEST(RangeSet, RejectsBadArguments) {
  Fixture f(4);
  EXPECT_EQ(f.set.insert(B + 1, 1, kRW).error(), Err::InvalidArgument);     // unaligned
  EXPECT_EQ(f.set.insert(B, 0, kRW).error(), Err::InvalidArgument);         // empty
  EXPECT_EQ(f.set.insert(B, uint64_t{1} << 52, kRW).error(), Err::InvalidArgument);  // size overflow
  EXPECT_EQ(f.set.insert(0 - P, 1, kRW).error(), Err::InvalidArgument);     // end past 2^64 - 1
  EXPECT_EQ(f.set.insert(0 - 2 * P, 2, kRW).error(), Err::InvalidArgument);
  EXPECT_TRUE(f.set.insert(0 - 2 * P, 1, kRW).ok());                        // highest usable page
  RangeAttrs bad = kRW;
  bad.prot = 8;
  EXPECT_EQ(f.set.insert(B, 1, bad).error(), Err::InvalidArgument);
  bad = kRW;
  bad.state = static_cast<RangeState>(0);
  EXPECT_EQ(f.set.insert(B, 1, bad).error(), Err::InvalidArgument);
  EXPECT_EQ(f.set.remove(B, ~uint64_t{0}).error(), Err::InvalidArgument);
  EXPECT_EQ(f.set.set_attrs(B, 1, kRO, 0).error(), Err::InvalidArgument);   // empty mask
  EXPECT_EQ(f.set.set_attrs(B, 1, kRO, 16).error(), Err::InvalidArgument);  // unknown mask bit
  EXPECT_EQ(f.set.find_gap(1, B, B).error(), Err::InvalidArgument);        // empty window
  EXPECT_EQ(f.set.find_gap(1, B, B + 10 * P, B + 1).error(), Err::InvalidArgument);  // unaligned hint
  EXPECT_EQ(f.set.find_gap(uint64_t{1} << 60, 0, 0 - P).error(), Err::InvalidArgument);
  EXPECT_EQ(f.set.split_at(B + 5).error(), Err::InvalidArgument);
  EXPECT_FALSE(f.set.is_free(B, 0));
  EXPECT_FALSE(f.set.is_covered(B + 1, 1));
  EXPECT_EQ(f.set.size(), 1u);
}

TEST(RangeSet, InsertMergesEqualNeighbours) {
  Fixture f(4);
  ASSERT_TRUE(f.set.insert(B, 2, kRW).ok());
  ASSERT_TRUE(f.set.insert(B + 4 * P, 2, kRW).ok());
  ASSERT_TRUE(f.set.insert(B + 2 * P, 2, kRW).ok());  // bridges both
  ASSERT_EQ(f.set.size(), 1u);
  EXPECT_EQ(f.set.ranges()[0].pages, 6u);
  ASSERT_TRUE(f.set.insert(B + 6 * P, 1, kRO).ok());  // different attrs: separate
  EXPECT_EQ(f.set.size(), 2u);
}

TEST(RangeSet, ProtectMiddleSplitsAndRestoreMerges) {
  Fixture f(4);
  ASSERT_TRUE(f.set.insert(B, 10, kRW).ok());
  ASSERT_TRUE(f.set.set_attrs(B + 3 * P, 2, kRO, kAttrProt).ok());
  ASSERT_EQ(f.set.size(), 3u);
  auto r = f.set.ranges();
  EXPECT_EQ(r[0].pages, 3u);
  EXPECT_EQ(r[1].base, B + 3 * P);
  EXPECT_EQ(r[1].pages, 2u);
  EXPECT_EQ(r[1].attrs.prot, kProtRead);
  EXPECT_EQ(r[2].base, B + 5 * P);
  EXPECT_EQ(r[2].pages, 5u);
  ASSERT_TRUE(f.set.set_attrs(B + 3 * P, 2, kRW, kAttrProt).ok());
  EXPECT_EQ(f.set.size(), 1u);
  EXPECT_EQ(f.set.ranges()[0].pages, 10u);
}

TEST(RangeSet, MaskedUpdateKeepsOtherFields) {
  Fixture f(8);
  ASSERT_TRUE(f.set.insert(B, 2, kRes).ok());
  ASSERT_TRUE(f.set.insert(B + 2 * P, 2, kRW).ok());
  // protect over reserved + committed keeps each part's state.
  ASSERT_TRUE(f.set.set_attrs(B + P, 2, kRO, kAttrProt).ok());
  EXPECT_EQ(f.set.find(B).value().attrs.state, RangeState::Reserved);
  EXPECT_EQ(f.set.find(B + P).value().attrs.state, RangeState::Reserved);
  EXPECT_EQ(f.set.find(B + P).value().attrs.prot, kProtRead);
  EXPECT_EQ(f.set.find(B + 2 * P).value().attrs.state, RangeState::Committed);
  EXPECT_EQ(f.set.find(B + 2 * P).value().attrs.prot, kProtRead);
  EXPECT_EQ(f.set.find(B + 3 * P).value().attrs.prot, kProtRead | kProtWrite);
  EXPECT_EQ(f.set.size(), 4u);
  // commit the whole span: state unified, prot per part kept.
  ASSERT_TRUE(f.set.set_attrs(B, 4, kRW, kAttrState).ok());
  EXPECT_EQ(f.set.find(B).value().attrs.prot, 0);
  EXPECT_TRUE(f.set.check_invariants());
}

TEST(RangeSet, SetAttrsRequiresFullCoverage) {
  Fixture f(8);
  ASSERT_TRUE(f.set.insert(B, 2, kRW).ok());
  ASSERT_TRUE(f.set.insert(B + 3 * P, 2, kRW).ok());
  EXPECT_EQ(f.set.set_attrs(B, 5, kRO).error(), Err::NotFound);      // hole at B+2P
  EXPECT_EQ(f.set.set_attrs(B - P, 2, kRO).error(), Err::NotFound);  // leading hole
  EXPECT_EQ(f.set.set_attrs(B + 4 * P, 2, kRO).error(), Err::NotFound);
  EXPECT_EQ(f.set.set_attrs(B + 10 * P, 1, kRO).error(), Err::NotFound);
  EXPECT_EQ(f.set.ranges()[0].attrs, kRW);
  EXPECT_EQ(f.set.ranges()[1].attrs, kRW);
}

TEST(RangeSet, RemoveSplitsAndAllowsHoles) {
  Fixture f(8);
  ASSERT_TRUE(f.set.insert(B, 10, kRW).ok());
  ASSERT_TRUE(f.set.insert(B + 12 * P, 4, kRO).ok());
  EXPECT_EQ(f.set.remove(B + 2 * P, 2).value(), 2u);  // hole in the middle
  EXPECT_EQ(f.set.size(), 3u);
  EXPECT_EQ(f.set.remove(B + 8 * P, 6).value(), 4u);  // tail of one, gap, head of next
  auto r = f.set.ranges();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].base, B + 4 * P);
  EXPECT_EQ(r[1].pages, 4u);
  EXPECT_EQ(r[2].base, B + 14 * P);
  EXPECT_EQ(r[2].pages, 2u);
  EXPECT_EQ(f.set.remove(B + 100 * P, 3).value(), 0u);
  EXPECT_EQ(f.set.remove(0, (B + 100 * P) / P).value(), 8u);
  EXPECT_EQ(f.set.size(), 0u);
}

TEST(RangeSet, CapacityExhaustionChangesNothing) {
  Fixture f(2);
  ASSERT_TRUE(f.set.insert(B, 10, kRW).ok());
  ASSERT_TRUE(f.set.insert(B + 20 * P, 1, kRW).ok());
  std::vector<Range> before(f.set.ranges().begin(), f.set.ranges().end());
  auto same = [&] {
    auto r = f.set.ranges();
    if (r.size() != before.size()) return false;
    for (size_t i = 0; i < r.size(); ++i)
      if (r[i].base != before[i].base || r[i].pages != before[i].pages || !(r[i].attrs == before[i].attrs))
        return false;
    return true;
  };
  EXPECT_EQ(f.set.insert(B + 15 * P, 1, kRO).error(), Err::Overloaded);
  EXPECT_TRUE(same());
  EXPECT_EQ(f.set.remove(B + 2 * P, 1).error(), Err::Overloaded);
  EXPECT_TRUE(same());
  EXPECT_EQ(f.set.set_attrs(B + 2 * P, 1, kRO).error(), Err::Overloaded);
  EXPECT_TRUE(same());
  EXPECT_EQ(f.set.split_at(B + 5 * P).error(), Err::Overloaded);
  EXPECT_TRUE(same());
  // What needs no new entry still works at capacity.
  EXPECT_TRUE(f.set.insert(B + 10 * P, 1, kRW).ok());            // merges
  EXPECT_TRUE(f.set.set_attrs(B + 2 * P, 1, kRW).ok());          // no-op edge: no split
  EXPECT_TRUE(f.set.set_attrs(B + 20 * P, 1, kRO).ok());         // whole range
  EXPECT_EQ(f.set.remove(B, 3).value(), 3u);                     // trims an edge
  EXPECT_TRUE(f.set.check_invariants());
}

TEST(RangeSet, FindGapFirstFitAndHint) {
  Fixture f(8);
  const uint64_t lo = B, hi = B + 32 * P;
  EXPECT_EQ(f.set.find_gap(4, lo, hi).value(), lo);
  ASSERT_TRUE(f.set.insert(B, 2, kRW).ok());
  ASSERT_TRUE(f.set.insert(B + 4 * P, 4, kRW).ok());
  EXPECT_EQ(f.set.find_gap(2, lo, hi).value(), B + 2 * P);  // exact fit
  EXPECT_EQ(f.set.find_gap(3, lo, hi).value(), B + 8 * P);
  EXPECT_EQ(f.set.find_gap(1, lo, hi, B + 20 * P).value(), B + 20 * P);  // hint honoured
  EXPECT_EQ(f.set.find_gap(1, lo, hi, B + 5 * P).value(), B + 8 * P);    // hint occupied: next fit above
  EXPECT_EQ(f.set.find_gap(8, lo, hi, B + 28 * P).value(), B + 8 * P);   // no room above hint: from lo
  EXPECT_EQ(f.set.find_gap(1, lo, hi, 0x1000).value(), B + 2 * P);        // hint outside window ignored
  EXPECT_EQ(f.set.find_gap(24, lo, hi).value(), B + 8 * P);              // ends exactly at hi
  EXPECT_EQ(f.set.find_gap(25, lo, hi).error(), Err::NotFound);
  // A window at the very top of the address space does not overflow.
  EXPECT_EQ(f.set.find_gap(2, 0 - 4 * P, 0 - P).value(), 0 - 4 * P);
  EXPECT_EQ(f.set.find_gap(4, 0 - 4 * P, 0 - P).error(), Err::NotFound);
}

TEST(RangeSet, IntersectingAndCoverage) {
  Fixture f(8);
  ASSERT_TRUE(f.set.insert(B, 2, kRW).ok());
  ASSERT_TRUE(f.set.insert(B + 2 * P, 2, kRO).ok());
  ASSERT_TRUE(f.set.insert(B + 6 * P, 2, kRW).ok());
  EXPECT_EQ(f.set.intersecting(B + P, B + 7 * P).size(), 3u);
  EXPECT_EQ(f.set.intersecting(B + 4 * P, B + 6 * P).size(), 0u);
  EXPECT_EQ(f.set.intersecting(B + 4 * P, B + 6 * P + 1).size(), 1u);
  EXPECT_EQ(f.set.intersecting(B + 5 * P, B + 3 * P).size(), 0u);
  EXPECT_TRUE(f.set.is_covered(B, 4));
  EXPECT_FALSE(f.set.is_covered(B, 5));
  EXPECT_TRUE(f.set.is_free(B + 4 * P, 2));
  EXPECT_FALSE(f.set.is_free(B + 4 * P, 3));
}

TEST(RangeSet, SplitAtAndCoalesce) {
  Fixture f(4);
  ASSERT_TRUE(f.set.insert(B, 8, kRW).ok());
  ASSERT_TRUE(f.set.split_at(B + 3 * P).ok());
  ASSERT_TRUE(f.set.split_at(B + 3 * P).ok());  // already a boundary
  ASSERT_TRUE(f.set.split_at(B + 20 * P).ok());  // unmapped: no-op
  EXPECT_EQ(f.set.size(), 2u);
  EXPECT_EQ(f.set.find(B + 3 * P).value().base, B + 3 * P);
  f.set.coalesce();
  EXPECT_EQ(f.set.size(), 1u);
  EXPECT_EQ(f.set.ranges()[0].pages, 8u);
}

// Randomized model runs: thousands of operations per run, several
// capacities, compared with the model after every operation.
void run_model(size_t cap, bool split, uint64_t seed, int ops) {
  std::mt19937_64 rng(seed);
  rs_model::Harness h(cap, split, [&] { return static_cast<uint8_t>(rng()); });
  for (int i = 0; i < ops; ++i) {
    std::string err = h.step();
    ASSERT_EQ(err, "") << "seed " << seed << " op " << i;
  }
}

TEST(RangeSet, ModelCanonical) {
  for (size_t cap : {1u, 3u, 8u, 64u}) run_model(cap, false, 1000 + cap, 5000);
}

TEST(RangeSet, ModelWithSplits) {
  for (size_t cap : {2u, 5u, 16u, 64u}) run_model(cap, true, 2000 + cap, 5000);
}

TEST(RangeSet, ModelZeroCapacity) { run_model(0, false, 7, 500); }

}  // namespace
