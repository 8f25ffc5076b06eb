// lib/pci: BAR sizing, capability walks and the MSI/MSI-X checks the
// kernel relies on, over hand-built config-space images; MCFG parsing.
#include "lib/pci/config.h"
#include "lib/pci/dmar.h"
#include "lib/pci/mcfg.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tests/host/pci/config_image.h"

namespace {

using namespace capos::pci;
using capos::Err;
using test::ConfigImage;

// A virtio-blk-like function: BAR1 4 KiB (MSI-X table), BAR4 16 KiB 64-bit.
ConfigImage virtio_blk() {
  ConfigImage c;
  c.header(0x1AF4, 0x1042, 0x01, 0x00, true);
  c.put16(reg::COMMAND, cmd::MEMORY | cmd::BUS_MASTER);
  c.put32(reg::HEADER, 0);
  c.mem32(1, 0xFEBD1000, 0x1000);
  c.mem64(4, 0xFE000000, 0x4000);
  c.put8(reg::CAP_PTR, 0x98);
  // MSI-X at 0x98: 2 entries, table BAR1+0, PBA BAR1+0x800.
  c.put8(0x98, cap_id::MSIX);
  c.put8(0x99, 0x84);
  c.put16(0x9A, 1);
  c.put32(0x9C, 0x0 | 1);
  c.put32(0xA0, 0x800 | 1);
  // Two vendor capabilities, then the end of the list.
  c.put8(0x84, cap_id::VENDOR);
  c.put8(0x85, 0x70);
  c.put8(0x70, cap_id::VENDOR);
  c.put8(0x71, 0x00);
  return c;
}

TEST(PciProbe, IdentityBarsAndCapabilities) {
  ConfigImage c = virtio_blk();
  auto f = probe(c);
  ASSERT_TRUE(f.ok()) << capos::err_name(f.error());
  EXPECT_EQ(f->vendor, 0x1AF4);
  EXPECT_EQ(f->device, 0x1042);
  EXPECT_EQ(f->class_code, 0x01);
  EXPECT_EQ(f->bar_count, 6);
  EXPECT_EQ(f->bars[0].kind, BarKind::None);
  EXPECT_EQ(f->bars[1].kind, BarKind::Mem32);
  EXPECT_EQ(f->bars[1].base, 0xFEBD1000u);
  EXPECT_EQ(f->bars[1].size, 0x1000u);
  EXPECT_EQ(f->bars[4].kind, BarKind::Mem64);
  EXPECT_EQ(f->bars[4].base, 0xFE000000u);
  EXPECT_EQ(f->bars[4].size, 0x4000u);
  EXPECT_EQ(f->bars[5].kind, BarKind::None);  // upper half of BAR4
  ASSERT_EQ(f->cap_count, 3);
  EXPECT_TRUE(f->msix.present);
  EXPECT_EQ(f->msix.table_size, 2);
  EXPECT_EQ(f->msix.table_bar, 1);
  EXPECT_EQ(f->msix.pba_offset, 0x800u);
  EXPECT_FALSE(f->msi.present);
  const Capability* v0 = f->find_cap(cap_id::VENDOR);
  ASSERT_NE(v0, nullptr);
  EXPECT_EQ(v0->offset, 0x84);
  const Capability* v1 = f->find_cap(cap_id::VENDOR, static_cast<uint32_t>(v0 - f->caps) + 1);
  ASSERT_NE(v1, nullptr);
  EXPECT_EQ(v1->offset, 0x70);
}

TEST(PciProbe, SizingRestoresBarsAndCommand) {
  ConfigImage c = virtio_blk();
  ConfigImage before = c;
  ASSERT_TRUE(probe(c).ok());
  EXPECT_GT(c.writes, 0u);
  EXPECT_EQ(std::memcmp(before.bytes, c.bytes, sizeof(c.bytes)), 0);
}

TEST(PciProbe, AbsentFunction) {
  ConfigImage c;
  std::memset(c.bytes, 0xFF, sizeof(c.bytes));
  EXPECT_EQ(probe(c).error(), Err::NotFound);
  ConfigImage z;
  EXPECT_EQ(probe(z).error(), Err::NotFound);
}

TEST(PciProbe, IoBarAndMsi) {
  ConfigImage c;
  c.header(0x8086, 0x100E, 0x02, 0x00, true);
  c.io(0, 0xC000, 0x40);
  c.mem32(1, 0xFEB80000, 0x20000, true);
  c.put8(reg::CAP_PTR, 0x50);
  c.put8(0x50, cap_id::MSI);
  c.put16(0x52, (1u << 7) | (1u << 8) | (3u << 1));  // 64-bit, maskable, 8 vectors
  auto f = probe(c);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->bars[0].kind, BarKind::Io);
  EXPECT_EQ(f->bars[0].base, 0xC000u);
  EXPECT_EQ(f->bars[0].size, 0x40u);
  EXPECT_TRUE(f->bars[1].prefetchable);
  EXPECT_EQ(f->bars[1].size, 0x20000u);
  ASSERT_TRUE(f->msi.present);
  EXPECT_TRUE(f->msi.is64);
  EXPECT_TRUE(f->msi.maskable);
  EXPECT_EQ(f->msi.max_vectors, 8);
}

TEST(PciProbe, BridgeHasTwoBarsAndBusNumbers) {
  ConfigImage c;
  c.header(0x1B36, 0x000C, 0x06, 0x04, false);
  c.put32(reg::HEADER, 1u << 16);
  c.put32(reg::BUS_NUMBERS, (5u << 16) | (1u << 8));
  c.mem32(0, 0xFE800000, 0x1000);
  c.put32(reg::BAR0 + 12, 0xDEADBEEF);  // I/O base/limit, not a BAR, for a bridge
  auto f = probe(c);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->header_type, 1);
  EXPECT_EQ(f->bar_count, 2);
  EXPECT_EQ(f->secondary_bus, 1);
  EXPECT_EQ(f->subordinate_bus, 5);
}

TEST(PciProbe, RejectsCapabilityLoop) {
  ConfigImage c = virtio_blk();
  c.put8(0x71, 0x84);  // 0x84 -> 0x70 -> 0x84 ...
  EXPECT_EQ(probe(c).error(), Err::Corrupt);
}

TEST(PciProbe, RejectsCapabilityPointerIntoHeader) {
  ConfigImage c = virtio_blk();
  c.put8(0x71, 0x10);
  EXPECT_EQ(probe(c).error(), Err::Corrupt);
  ConfigImage d = virtio_blk();
  d.put8(0x71, 0x73);  // misaligned
  EXPECT_EQ(probe(d).error(), Err::Corrupt);
}

TEST(PciProbe, RejectsMsixTableOutsideItsBar) {
  ConfigImage c = virtio_blk();
  c.put32(0x9C, 0xFF8 | 1);  // 2 entries x 16 bytes from 0xFF8 overrun the 4 KiB BAR
  EXPECT_EQ(probe(c).error(), Err::Corrupt);
  ConfigImage d = virtio_blk();
  d.put32(0x9C, 0 | 0);  // BAR0 is not implemented
  EXPECT_EQ(probe(d).error(), Err::Corrupt);
  ConfigImage e = virtio_blk();
  e.put32(0xA0, 0x800 | 7);  // BIR 7 does not exist
  EXPECT_EQ(probe(e).error(), Err::Corrupt);
}

TEST(PciProbe, Rejects64BitBarInLastSlot) {
  ConfigImage c;
  c.header(0x1234, 0x5678, 0xFF, 0, false);
  c.put32(reg::BAR0 + 20, 4);
  c.bar_mask[5] = 0xFFFFF000u;
  EXPECT_EQ(probe(c).error(), Err::Corrupt);
}

TEST(PciProbe, RejectsNonPowerOfTwoBar) {
  ConfigImage c;
  c.header(0x1234, 0x5678, 0xFF, 0, false);
  c.put32(reg::BAR0, 0xF0000000);
  c.bar_mask[0] = 0xF0F00000u;  // a hole in the mask
  EXPECT_EQ(probe(c).error(), Err::Corrupt);
}

TEST(PciProbe, UnsupportedHeaderType) {
  ConfigImage c;
  c.header(0x1234, 0x5678, 0xFF, 0, false);
  c.put32(reg::HEADER, 2u << 16);
  EXPECT_EQ(probe(c).error(), Err::Unsupported);
}

TEST(PciProbe, BarContains) {
  Bar b{BarKind::Mem32, false, 0x1000, 0x1000};
  EXPECT_TRUE(bar_contains(b, 0, 0x1000));
  EXPECT_TRUE(bar_contains(b, 0xFF0, 0x10));
  EXPECT_FALSE(bar_contains(b, 0xFF0, 0x11));
  EXPECT_FALSE(bar_contains(b, ~0ull, 2));
  EXPECT_FALSE(bar_contains(Bar{}, 0, 0));
}

std::vector<uint8_t> mcfg(const std::vector<EcamRegion>& rs) {
  std::vector<uint8_t> t(44 + 16 * rs.size(), 0);
  std::memcpy(t.data(), "MCFG", 4);
  uint32_t len = static_cast<uint32_t>(t.size());
  std::memcpy(t.data() + 4, &len, 4);
  for (size_t i = 0; i < rs.size(); ++i) {
    uint8_t* e = t.data() + 44 + 16 * i;
    std::memcpy(e, &rs[i].base, 8);
    std::memcpy(e + 8, &rs[i].segment, 2);
    e[10] = rs[i].start_bus;
    e[11] = rs[i].end_bus;
  }
  uint8_t sum = 0;
  for (uint8_t b : t) sum = static_cast<uint8_t>(sum + b);
  t[9] = static_cast<uint8_t>(-sum);
  return t;
}

TEST(Mcfg, ParsesQ35Table) {
  auto t = mcfg({{0xB0000000, 0, 0, 255}});
  EcamRegion out[4];
  auto n = parse_mcfg(capos::Bytes(t.data(), t.size()), capos::Span<EcamRegion>(out, 4));
  ASSERT_TRUE(n.ok());
  ASSERT_EQ(*n, 1u);
  EXPECT_EQ(out[0].base, 0xB0000000u);
  EXPECT_EQ(out[0].end_bus, 255);
  EXPECT_EQ(ecam_offset(1, 2, 3), (1u << 20) | (2u << 15) | (3u << 12));
}

TEST(Mcfg, StoresAtMostTheOutputSize) {
  auto t = mcfg({{0xB0000000, 0, 0, 0}, {0xC0000000, 1, 0, 0}});
  EcamRegion out[1];
  auto n = parse_mcfg(capos::Bytes(t.data(), t.size()), capos::Span<EcamRegion>(out, 1));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
}

TEST(Mcfg, RejectsDamage) {
  EcamRegion out[4];
  capos::Span<EcamRegion> o(out, 4);
  auto good = mcfg({{0xB0000000, 0, 0, 255}});
  auto bad_sum = good;
  bad_sum[50] ^= 1;
  EXPECT_EQ(parse_mcfg(capos::Bytes(bad_sum.data(), bad_sum.size()), o).error(), Err::Corrupt);
  EXPECT_EQ(parse_mcfg(capos::Bytes(good.data(), 40), o).error(), Err::Truncated);
  EXPECT_EQ(parse_mcfg(capos::Bytes(good.data(), good.size() - 1), o).error(), Err::Truncated);
  auto rev = mcfg({{0xB0000000, 0, 9, 3}});
  EXPECT_EQ(parse_mcfg(capos::Bytes(rev.data(), rev.size()), o).error(), Err::Corrupt);
  auto unaligned = mcfg({{0xB0001000, 0, 0, 0}});
  EXPECT_EQ(parse_mcfg(capos::Bytes(unaligned.data(), unaligned.size()), o).error(), Err::Corrupt);
  auto wraps = mcfg({{0xFFFFFFFFFFF00000ull, 0, 0, 1}});
  EXPECT_EQ(parse_mcfg(capos::Bytes(wraps.data(), wraps.size()), o).error(), Err::Corrupt);
  auto sig = good;
  sig[0] = 'X';
  sig[9] = static_cast<uint8_t>(sig[9] + 'M' - 'X');
  EXPECT_EQ(parse_mcfg(capos::Bytes(sig.data(), sig.size()), o).error(), Err::Corrupt);
}

// A DMAR with `units` DRHDs (one 16-byte structure each) and one RMRR.
std::vector<uint8_t> dmar(const std::vector<Drhd>& units) {
  std::vector<uint8_t> t(48, 0);
  std::memcpy(t.data(), "DMAR", 4);
  t[36] = 38;  // 39-bit host address width
  for (const Drhd& u : units) {
    uint8_t e[16] = {};
    e[0] = 0;
    e[2] = 16;
    e[4] = u.include_pci_all ? 1 : 0;
    std::memcpy(e + 6, &u.segment, 2);
    std::memcpy(e + 8, &u.register_base, 8);
    t.insert(t.end(), e, e + 16);
  }
  uint8_t rmrr[24] = {1, 0, 24, 0};
  t.insert(t.end(), rmrr, rmrr + 24);
  uint32_t len = static_cast<uint32_t>(t.size());
  std::memcpy(t.data() + 4, &len, 4);
  uint8_t sum = 0;
  for (uint8_t b : t) sum = static_cast<uint8_t>(sum + b);
  t[9] = static_cast<uint8_t>(-sum);
  return t;
}

TEST(Dmar, ParsesQemuIntelIommu) {
  auto t = dmar({{0xFED90000, 0, true, 0, {}}});
  Drhd out[2];
  auto d = parse_dmar(capos::Bytes(t.data(), t.size()), capos::Span<Drhd>(out, 2));
  ASSERT_TRUE(d.ok()) << capos::err_name(d.error());
  EXPECT_EQ(d->host_address_width, 38);
  ASSERT_EQ(d->drhd_count, 1u);
  EXPECT_EQ(out[0].register_base, 0xFED90000u);
  EXPECT_TRUE(out[0].include_pci_all);
}

// The DRHD QEMU 7.2 builds: no INCLUDE_PCI_ALL, an IOAPIC scope, then one
// endpoint scope per function on bus 0.
TEST(Dmar, EndpointScopesDecideCoverage) {
  std::vector<uint8_t> t(48, 0);
  std::memcpy(t.data(), "DMAR", 4);
  t[36] = 38;
  const uint8_t drhd[] = {0, 0, 0x3a, 0, 0, 0, 0, 0, 0, 0, 0xd9, 0xfe, 0, 0, 0, 0,
                          3, 8, 0, 0, 0, 0xff, 0, 0,  1, 8, 0, 0, 0, 0, 0, 0,
                          1, 8, 0, 0, 0, 0, 3, 0,  1, 8, 0, 0, 0, 0, 0x1f, 2,
                          1, 10, 0, 0, 0, 0, 5, 0, 0, 0};  // behind the bridge at 00:05.0
  t.insert(t.end(), drhd, drhd + sizeof(drhd));
  uint32_t len = static_cast<uint32_t>(t.size());
  std::memcpy(t.data() + 4, &len, 4);
  uint8_t sum = 0;
  for (uint8_t b : t) sum = static_cast<uint8_t>(sum + b);
  t[9] = static_cast<uint8_t>(-sum);
  Drhd out[1];
  auto d = parse_dmar(capos::Bytes(t.data(), t.size()), capos::Span<Drhd>(out, 1));
  ASSERT_TRUE(d.ok()) << capos::err_name(d.error());
  EXPECT_FALSE(out[0].include_pci_all);
  EXPECT_EQ(out[0].scope_count, 5u);
  EXPECT_TRUE(out[0].covers(0, 3, 0));
  EXPECT_TRUE(out[0].covers(0, 0x1f, 2));
  EXPECT_FALSE(out[0].covers(0, 4, 0));
  EXPECT_FALSE(out[0].covers(1, 0, 0));  // depth-2 paths are not matched
  auto bad = t;
  bad[48 + 17] = 7;  // an odd scope length
  bad[9] = static_cast<uint8_t>(bad[9] + 8 - 7);
  EXPECT_EQ(parse_dmar(capos::Bytes(bad.data(), bad.size()), capos::Span<Drhd>(out, 1)).error(), Err::Corrupt);
}

TEST(Dmar, RefusesDamageAndTooManyUnits) {
  Drhd out[1];
  capos::Span<Drhd> o(out, 1);
  auto two = dmar({{0xFED90000, 0, true, 0, {}}, {0xFED91000, 0, false, 0, {}}});
  EXPECT_EQ(parse_dmar(capos::Bytes(two.data(), two.size()), o).error(), Err::LimitExceeded);
  auto unaligned = dmar({{0xFED90010, 0, true, 0, {}}});
  EXPECT_EQ(parse_dmar(capos::Bytes(unaligned.data(), unaligned.size()), o).error(), Err::Corrupt);
  auto good = dmar({{0xFED90000, 0, true, 0, {}}});
  EXPECT_EQ(parse_dmar(capos::Bytes(good.data(), 40), o).error(), Err::Truncated);
  auto overlong = good;
  overlong[50] = 200;  // the DRHD claims to run past the table
  overlong[9] = static_cast<uint8_t>(overlong[9] - 200 + 16);
  EXPECT_EQ(parse_dmar(capos::Bytes(overlong.data(), overlong.size()), o).error(), Err::Corrupt);
  auto zero_len = good;
  zero_len[50] = 0;
  zero_len[9] = static_cast<uint8_t>(zero_len[9] + 16);
  EXPECT_EQ(parse_dmar(capos::Bytes(zero_len.data(), zero_len.size()), o).error(), Err::Corrupt);
}

}  // namespace
