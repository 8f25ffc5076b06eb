// lib/pci/vtd_format: the VT-d words the kernel stores, checked bit by bit
// against the spec's layouts (IRTE 9.10, remappable MSI 5.1.2.2, IOAPIC
// RTE 5.1.5.1, invalidation descriptors 6.5.2), and the IRTE allocator
// against a model under random alloc/free sequences.
#include "lib/pci/vtd_format.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace {

using namespace capos::pci::vtd;
using capos::Err;

uint64_t bits(uint64_t v, int hi, int lo) { return (v >> lo) & ((uint64_t{1} << (hi - lo + 1)) - 1); }

TEST(VtdFormat, IrteFieldsSitWhereTheSpecSays) {
  Quad128 q = encode_irte({0x41, 0x03, 0x0018, false});
  EXPECT_EQ(bits(q.lo, 0, 0), 1u);      // present
  EXPECT_EQ(bits(q.lo, 1, 1), 0u);      // faults reported (FPD clear)
  EXPECT_EQ(bits(q.lo, 2, 2), 0u);      // physical destination
  EXPECT_EQ(bits(q.lo, 4, 4), 0u);      // edge
  EXPECT_EQ(bits(q.lo, 7, 5), 0u);      // fixed delivery
  EXPECT_EQ(bits(q.lo, 15, 15), 0u);    // remapped, not posted
  EXPECT_EQ(bits(q.lo, 23, 16), 0x41u);  // vector
  EXPECT_EQ(bits(q.lo, 47, 40), 0x03u);  // xAPIC destination (EIME = 0)
  EXPECT_EQ(bits(q.lo, 39, 24), 0u);
  EXPECT_EQ(bits(q.lo, 63, 48), 0u);
  EXPECT_EQ(bits(q.hi, 15, 0), 0x0018u);  // source id 00:03.0
  EXPECT_EQ(bits(q.hi, 17, 16), 0u);      // SQ: all 16 bits compared
  EXPECT_EQ(bits(q.hi, 19, 18), 1u);      // SVT: verify the source id
  EXPECT_EQ(bits(q.hi, 63, 20), 0u);      // reserved
  EXPECT_EQ(bits(encode_irte({0x30, 0, 0xFF00, true}).lo, 4, 4), 1u);  // level pin
}

TEST(VtdFormat, IrteRoundTripsAndAClearedEntryIsNotPresent) {
  Irte in{0x7F, 0xFE, 0xABCD, true};
  auto out = decode_irte(encode_irte(in));
  ASSERT_TRUE(out);
  EXPECT_EQ(out->vector, in.vector);
  EXPECT_EQ(out->dest, in.dest);
  EXPECT_EQ(out->source_id, in.source_id);
  EXPECT_EQ(out->level, in.level);
  auto none = decode_irte(Quad128{0, 0});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), Err::NotFound);
}

// The unit's reading of a remappable MSI (spec 5.1.2.2): the handle from
// address bits 19:5 and bit 2, plus the sub-handle from the data if SHV.
uint32_t unit_index(const MsiMessage& m) {
  uint32_t h = bits(m.addr_lo, 19, 5) | bits(m.addr_lo, 2, 2) << 15;
  if (bits(m.addr_lo, 3, 3)) h += m.data & 0xFFFF;
  return h;
}

TEST(VtdFormat, RemappableMsiNamesExactlyItsHandle) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    MsiMessage m = remappable_msi(static_cast<uint16_t>(h));
    ASSERT_EQ(m.addr_lo >> 20, 0xFEEu);
    ASSERT_TRUE(msi_is_remappable(m.addr_lo));
    ASSERT_EQ(m.addr_hi, 0u);
    ASSERT_EQ(m.data, 0u);  // sub-handle 0, reserved bits clear
    ASSERT_EQ(unit_index(m), h);
  }
  EXPECT_FALSE(msi_is_remappable(0xFEE00000u | (3u << 12)));  // compatibility format
}

TEST(VtdFormat, RemappableRteKeepsVectorAndTriggerAndNamesTheHandle) {
  RteWords w = remappable_rte(0x8005, 0x24, true, true, false);
  uint64_t rte = uint64_t{w.hi} << 32 | w.lo;
  EXPECT_EQ(bits(rte, 7, 0), 0x24u);    // vector matches the IRTE's
  EXPECT_EQ(bits(rte, 10, 8), 0u);
  EXPECT_EQ(bits(rte, 11, 11), 1u);     // handle bit 15
  EXPECT_EQ(bits(rte, 13, 13), 1u);     // active low
  EXPECT_EQ(bits(rte, 15, 15), 1u);     // level
  EXPECT_EQ(bits(rte, 16, 16), 0u);     // unmasked
  EXPECT_EQ(bits(rte, 48, 48), 1u);     // remappable format
  EXPECT_EQ(bits(rte, 63, 49), 0x0005u);  // handle 14:0
  EXPECT_EQ(bits(remappable_rte(1, 0x24, false, false, true).lo, 16, 16), 1u);
}

TEST(VtdFormat, InvalidationDescriptors) {
  EXPECT_EQ(bits(inv_context_global().lo, 3, 0), 1u);
  EXPECT_EQ(bits(inv_context_global().lo, 5, 4), 1u);  // global
  Quad128 t = inv_iotlb_global();
  EXPECT_EQ(bits(t.lo, 3, 0), 2u);
  EXPECT_EQ(bits(t.lo, 5, 4), 1u);
  EXPECT_EQ(bits(t.lo, 7, 6), 3u);  // drain reads and writes
  Quad128 dt = inv_iotlb_domain(0x2A5);
  EXPECT_EQ(bits(dt.lo, 3, 0), 2u);
  EXPECT_EQ(bits(dt.lo, 5, 4), 2u);       // domain-selective
  EXPECT_EQ(bits(dt.lo, 7, 6), 3u);       // drain reads and writes
  EXPECT_EQ(bits(dt.lo, 31, 16), 0x2A5u);  // domain id
  EXPECT_EQ(dt.hi, 0u);
  EXPECT_EQ(bits(inv_iec_global().lo, 4, 0), 4u);  // type 4, global
  Quad128 i = inv_iec_index(0x1234);
  EXPECT_EQ(bits(i.lo, 3, 0), 4u);
  EXPECT_EQ(bits(i.lo, 4, 4), 1u);  // index-selective
  EXPECT_EQ(bits(i.lo, 31, 27), 0u);  // one entry
  EXPECT_EQ(bits(i.lo, 47, 32), 0x1234u);
  Quad128 w = inv_wait(0x12345678, 0xCAFE);
  EXPECT_EQ(bits(w.lo, 3, 0), 5u);
  EXPECT_EQ(bits(w.lo, 4, 4), 0u);  // no interrupt
  EXPECT_EQ(bits(w.lo, 5, 5), 1u);  // status write
  EXPECT_EQ(bits(w.lo, 63, 32), 0xCAFEu);
  EXPECT_EQ(w.hi, 0x12345678u);
  EXPECT_EQ(inv_wait(0x1003, 1).hi, 0x1000u);  // dword aligned
}

TEST(VtdFormat, FaultReasonsName) {
  EXPECT_STREQ(fault_reason_name(0x26), "interrupt from a source the entry does not name");
  EXPECT_STREQ(fault_reason_name(0x25), "compatibility-format interrupt blocked");
  EXPECT_STREQ(fault_reason_name(0x7), "other");
  EXPECT_GE(0x22, FAULT_IR_FIRST);
  EXPECT_LT(0x06, FAULT_IR_FIRST);
}

TEST(IrteAllocator, NeverHandsOutZeroAndRefusesBadFrees) {
  IrteAllocator a;
  EXPECT_EQ(a.used(), 0u);
  EXPECT_FALSE(a.in_use(0));
  for (uint32_t i = 1; i < IrteAllocator::SIZE; ++i) {
    auto h = a.alloc();
    ASSERT_TRUE(h);
    ASSERT_EQ(*h, i);
  }
  auto full = a.alloc();
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error(), Err::Overloaded);
  EXPECT_EQ(a.used(), IrteAllocator::SIZE - 1);
  EXPECT_FALSE(a.free(0));
  EXPECT_FALSE(a.free(IrteAllocator::SIZE));
  EXPECT_FALSE(a.free(0xFFFF));
  ASSERT_TRUE(a.free(7));
  EXPECT_FALSE(a.free(7));  // twice
  auto again = a.alloc();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 7u);
}

TEST(IrteAllocator, MatchesAModelUnderRandomUse) {
  std::mt19937 rng(17);
  for (int round = 0; round < 20; ++round) {
    IrteAllocator a;
    std::set<uint16_t> model;
    for (int step = 0; step < 5000; ++step) {
      if (rng() % 2) {
        auto h = a.alloc();
        if (model.size() == IrteAllocator::SIZE - 1) {
          ASSERT_FALSE(h);
          continue;
        }
        ASSERT_TRUE(h);
        ASSERT_NE(*h, 0u);
        ASSERT_TRUE(model.insert(*h).second) << "handed out twice: " << *h;
      } else {
        uint16_t h = static_cast<uint16_t>(rng() % (IrteAllocator::SIZE + 8));
        bool ok = static_cast<bool>(a.free(h));
        ASSERT_EQ(ok, model.erase(h) == 1) << h;
      }
      ASSERT_EQ(a.used(), model.size());
      uint16_t probe = static_cast<uint16_t>(rng() % IrteAllocator::SIZE);
      ASSERT_EQ(a.in_use(probe), probe == 0 ? false : model.count(probe) == 1);
    }
  }
}

}  // namespace
