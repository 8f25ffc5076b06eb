// kernel/boot/multiboot2: what GRUB hands over from BIOS and from UEFI
// (OVMF-like fragmented maps, EFI tags, RSDP copies), and damaged MBIs.
#include "kernel/boot/multiboot2.h"

#include <gtest/gtest.h>

#include <vector>

#include "tests/host/boot/mbi_image.h"

namespace {

using capos::BootInfo;
using capos::Bytes;
using capos::Err;
using capos::MemType;
using mbi_image::Builder;

constexpr uint64_t MBI_PHYS = 0x10000;

capos::Status parse(const std::vector<uint8_t>& m, BootInfo* bi) {
  return capos::parse_multiboot2(Bytes(m.data(), m.size()), MBI_PHYS, bi);
}

TEST(Multiboot2, BiosShape) {
  Builder b;
  b.cmdline("capos.test=boot").module(0x200000, 0x280000).rsdp(false)
      .mmap({{0, 0x9fc00, 1}, {0x9fc00, 0x400, 2}, {0x100000, 0xfee0000, 1}, {0xfffc0000, 0x40000, 2}});
  auto m = b.build();
  BootInfo bi;
  ASSERT_TRUE(parse(m, &bi));
  EXPECT_STREQ(bi.cmdline, "capos.test=boot");
  ASSERT_EQ(bi.module_count, 1u);
  EXPECT_EQ(bi.modules[0].phys, 0x200000u);
  EXPECT_EQ(bi.modules[0].size, 0x80000u);
  EXPECT_EQ(bi.rsdp_phys, MBI_PHYS + b.body_offset(14));
  EXPECT_EQ(bi.efi_system_table, 0u);
  ASSERT_EQ(bi.region_count, 4u);
  EXPECT_EQ(bi.regions[2].base, 0x100000u);
  EXPECT_EQ(bi.regions[2].type, MemType::Usable);
  EXPECT_EQ(bi.regions[3].type, MemType::Reserved);
  EXPECT_EQ(bi.info_size, m.size());
}

// GRUB-EFI on OVMF: EFI system table, both RSDP copies (new one second),
// an mmap tag converted from ~150 EFI descriptors, and the EFI map too.
TEST(Multiboot2, UefiShape) {
  std::vector<Builder::E820> map;
  uint64_t at = 0x100000;
  for (int i = 0; i < 150; ++i) {  // loader/boot-services allocations: usable, contiguous
    map.push_back({at, 0x3000, 1});
    at += 0x3000;
  }
  map.push_back({at, 0x8000, 4});   // ACPI NVS splits the run
  at += 0x8000;
  map.push_back({at, 0x100000, 1});
  map.push_back({0xb0000000, 0x10000000, 2});
  Builder b;
  b.efi64(0xfe1e018).rsdp(false).rsdp(true).mmap(map).efi_mmap({{7, 0x100000, 16}});
  auto m = b.build();
  BootInfo bi;
  ASSERT_TRUE(parse(m, &bi));
  EXPECT_EQ(bi.efi_system_table, 0xfe1e018u);
  EXPECT_EQ(bi.rsdp_phys, MBI_PHYS + b.body_offset(15));  // ACPI 2.0 copy wins
  ASSERT_EQ(bi.region_count, 4u);                         // 150 fragments merged into one
  EXPECT_FALSE(bi.regions_truncated);
  EXPECT_EQ(bi.regions[0].base, 0x100000u);
  EXPECT_EQ(bi.regions[0].length, 150u * 0x3000);
  EXPECT_EQ(bi.regions[1].type, MemType::AcpiNvs);
  EXPECT_EQ(bi.regions[2].type, MemType::Usable);
  EXPECT_EQ(bi.regions[3].type, MemType::Reserved);
}

TEST(Multiboot2, NewRsdpWinsInEitherOrder) {
  Builder b;
  b.rsdp(true).rsdp(false).mmap({{0, 0x100000, 1}});
  BootInfo bi;
  ASSERT_TRUE(parse(b.build(), &bi));
  EXPECT_EQ(bi.rsdp_phys, MBI_PHYS + b.body_offset(15));
}

TEST(Multiboot2, ShortRsdpTagsAreIgnored) {
  Builder b;
  b.tag(14, std::vector<uint8_t>(12, 0)).tag(15, std::vector<uint8_t>(20, 0)).mmap({{0, 0x100000, 1}});
  BootInfo bi;
  ASSERT_TRUE(parse(b.build(), &bi));
  EXPECT_EQ(bi.rsdp_phys, 0u);
}

TEST(Multiboot2, EfiMapOnlyWhenNoMmapTag) {
  Builder b;
  b.efi_mmap({{3, 0x100000, 0x100},        // boot-services code: free after ExitBootServices
              {7, 0x200000, 0x100},        // conventional, contiguous with it
              {5, 0x300000, 0x10},         // runtime services code
              {9, 0x310000, 0x10},         // ACPI reclaim
              {10, 0x320000, 0x10},        // ACPI NVS
              {8, 0x330000, 0x10},         // unusable
              {11, 0xffc00000, 0x400}});   // MMIO
  BootInfo bi;
  ASSERT_TRUE(parse(b.build(), &bi));
  ASSERT_EQ(bi.region_count, 6u);
  EXPECT_EQ(bi.regions[0].base, 0x100000u);
  EXPECT_EQ(bi.regions[0].length, 0x200000u);
  EXPECT_EQ(bi.regions[0].type, MemType::Usable);
  EXPECT_EQ(bi.regions[1].type, MemType::Reserved);
  EXPECT_EQ(bi.regions[2].type, MemType::AcpiReclaimable);
  EXPECT_EQ(bi.regions[3].type, MemType::AcpiNvs);
  EXPECT_EQ(bi.regions[4].type, MemType::Bad);
  EXPECT_EQ(bi.regions[5].type, MemType::Reserved);
  EXPECT_EQ(bi.regions[5].length, 0x400000u);
}

TEST(Multiboot2, TooManyRegionsAreTruncatedNotOverrun) {
  std::vector<Builder::E820> map;
  for (uint64_t i = 0; i < 300; ++i) map.push_back({i * 0x2000, 0x1000, 1});  // gaps: no merging
  Builder b;
  b.mmap(map);
  BootInfo bi;
  ASSERT_TRUE(parse(b.build(), &bi));
  EXPECT_EQ(bi.region_count, BootInfo::MAX_REGIONS);
  EXPECT_TRUE(bi.regions_truncated);
}

TEST(Multiboot2, RejectsDamage) {
  BootInfo bi;
  std::vector<uint8_t> tiny{16, 0, 0, 0};
  EXPECT_EQ(parse(tiny, &bi).error(), Err::Truncated);
  Builder ok;
  ok.mmap({{0, 0x100000, 1}});
  auto m = ok.build();
  EXPECT_EQ(capos::parse_multiboot2(Bytes(m.data(), m.size() - 1), MBI_PHYS, &bi).error(), Err::Truncated);
  auto small_total = m;
  small_total[0] = 12;
  EXPECT_EQ(parse(small_total, &bi).error(), Err::Corrupt);
  auto long_tag = m;
  long_tag[12] = 0xff;  // first tag's size runs past the end
  EXPECT_EQ(parse(long_tag, &bi).error(), Err::Corrupt);
  auto short_tag = m;
  short_tag[12] = 4;  // below the 8-byte tag header
  EXPECT_EQ(parse(short_tag, &bi).error(), Err::Corrupt);

  Builder narrow;
  narrow.mmap({{0, 0x100000, 1}}, 16);  // entries narrower than 24 bytes
  EXPECT_EQ(parse(narrow.build(), &bi).error(), Err::Corrupt);
  Builder efi_narrow;
  efi_narrow.efi_mmap({{7, 0, 16}}, 32);
  EXPECT_EQ(parse(efi_narrow.build(), &bi).error(), Err::Corrupt);
  Builder efi_huge;
  efi_huge.efi_mmap({{7, 0, uint64_t{1} << 60}});  // pages * 4096 overflows
  EXPECT_EQ(parse(efi_huge.build(), &bi).error(), Err::Corrupt);
  Builder backwards;
  backwards.module(0x300000, 0x200000).mmap({{0, 0x100000, 1}});
  EXPECT_EQ(parse(backwards.build(), &bi).error(), Err::Corrupt);
  Builder nomap;
  nomap.cmdline("x");
  BootInfo fresh;
  EXPECT_EQ(parse(nomap.build(), &fresh).error(), Err::NotFound);
}

TEST(Multiboot2, MissingEndTagStopsAtTheDeclaredSize) {
  Builder b;
  b.mmap({{0, 0x100000, 1}});
  BootInfo bi;
  ASSERT_TRUE(parse(b.build(false), &bi));
  EXPECT_EQ(bi.region_count, 1u);
}

}  // namespace
