// lib/acpi: SDT framing, FADT register decoding and the \_S5 sleep-type
// decoder, on well-formed tables shaped like QEMU's and on damaged ones.
#include <gtest/gtest.h>

#include <vector>

#include "lib/acpi/fadt.h"
#include "lib/acpi/sleep_type.h"
#include "tests/host/acpi/acpi_image.h"

namespace {

using namespace capos::acpi;
using capos::Bytes;
using capos::Err;
using acpi_image::name_package;
using acpi_image::sdt;

Bytes B(const std::vector<uint8_t>& v) { return Bytes(v.data(), v.size()); }

std::vector<uint8_t> cat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(AcpiSdt, ChecksLengthSignatureAndChecksum) {
  auto t = sdt("DSDT", 2, {1, 2, 3});
  auto ok = check_sdt(B(t), "DSDT");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), t.size());
  EXPECT_EQ(check_sdt(B(t), "SSDT").error(), Err::Corrupt);
  EXPECT_EQ(check_sdt(Bytes(t.data(), 35), "DSDT").error(), Err::Truncated);
  EXPECT_EQ(check_sdt(Bytes(t.data(), t.size() - 1), "DSDT").error(), Err::Truncated);
  auto bad = t;
  bad[37] ^= 1;
  EXPECT_EQ(check_sdt(B(bad), "DSDT").error(), Err::Corrupt);
  auto shortlen = t;
  acpi_image::put<uint32_t>(shortlen, 4, 20);
  acpi_image::fix_checksum(shortlen);
  EXPECT_EQ(check_sdt(B(shortlen), "DSDT").error(), Err::Corrupt);
  // Trailing bytes past the declared length are not part of the table.
  auto longer = t;
  longer.push_back(0xAA);
  EXPECT_EQ(check_sdt(B(longer), "DSDT")->size(), t.size());
}

TEST(AcpiSdt, IoPortRange) {
  GenericAddress g;
  EXPECT_EQ(io_port(g, 2).error(), Err::NotFound);
  g.space = 1;
  g.address = 0x604;
  EXPECT_EQ(*io_port(g, 2), 0x604);
  g.address = 0xffff;
  EXPECT_EQ(*io_port(g, 1), 0xffff);
  EXPECT_EQ(io_port(g, 2).error(), Err::OutOfRange);
  g.address = 0x1'0000'0604;
  EXPECT_EQ(io_port(g, 2).error(), Err::OutOfRange);
  g.space = 0;
  g.address = 0xfee00000;
  EXPECT_EQ(io_port(g, 2).error(), Err::Unsupported);
}

TEST(AcpiFadt, Q35Shape) {
  auto t = acpi_image::q35_fadt(0x7fe0040);
  auto f = parse_fadt(B(t));
  ASSERT_TRUE(f) << capos::err_name(f.error());
  EXPECT_EQ(f->revision, 3);
  EXPECT_EQ(f->dsdt, 0x7fe0040u);
  EXPECT_EQ(f->smi_cmd, 0xb2u);
  EXPECT_EQ(f->acpi_enable, 0xf1);
  EXPECT_EQ(*io_port(f->pm1a_cnt, 2), 0x604);
  EXPECT_FALSE(f->pm1b_cnt.present());
  EXPECT_TRUE(f->reset_supported);
  EXPECT_EQ(*io_port(f->reset_reg, 1), 0xcf9);
  EXPECT_EQ(f->reset_value, 0x0f);
  EXPECT_FALSE(f->hw_reduced);
}

TEST(AcpiFadt, ExtendedFieldsWinWhenSet) {
  auto t = acpi_image::q35_fadt(0x1000);
  acpi_image::put<uint64_t>(t, 140, 0x1'2345'6000);       // X_DSDT above 4 GiB
  acpi_image::put_gas(t, 172, 1, 16, 0x1804);             // X_PM1a_CNT_BLK
  acpi_image::put_gas(t, 184, 1, 16, 0x1808);             // X_PM1b_CNT_BLK
  acpi_image::fix_checksum(t);
  auto f = parse_fadt(B(t));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->dsdt, 0x1'2345'6000u);
  EXPECT_EQ(f->pm1a_cnt.address, 0x1804u);
  EXPECT_EQ(f->pm1b_cnt.address, 0x1808u);
}

TEST(AcpiFadt, Acpi1TableHasNoResetRegister) {
  auto full = acpi_image::q35_fadt(0x2000);
  std::vector<uint8_t> t(full.begin(), full.begin() + 116);
  acpi_image::put<uint32_t>(t, 4, 116);
  t[8] = 1;
  acpi_image::fix_checksum(t);
  auto f = parse_fadt(B(t));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->dsdt, 0x2000u);              // no X_DSDT in a 116-byte table
  EXPECT_EQ(f->pm1a_cnt.address, 0x604u);   // legacy block
  EXPECT_EQ(f->pm1a_cnt.bit_width, 16);
  EXPECT_FALSE(f->reset_supported);
}

TEST(AcpiFadt, ResetNeedsTheFlagAndAnAddress) {
  auto t = acpi_image::q35_fadt();
  acpi_image::put<uint32_t>(t, 112, 0);
  acpi_image::fix_checksum(t);
  EXPECT_FALSE(parse_fadt(B(t))->reset_supported);
  t = acpi_image::q35_fadt();
  acpi_image::put_gas(t, 116, 1, 8, 0);
  acpi_image::fix_checksum(t);
  EXPECT_FALSE(parse_fadt(B(t))->reset_supported);
}

TEST(AcpiFadt, RejectsDamage) {
  auto t = acpi_image::q35_fadt();
  auto sig = t;
  std::memcpy(sig.data(), "APIC", 4);
  acpi_image::fix_checksum(sig);
  EXPECT_EQ(parse_fadt(B(sig)).error(), Err::Corrupt);
  std::vector<uint8_t> tiny(t.begin(), t.begin() + 100);
  acpi_image::put<uint32_t>(tiny, 4, 100);
  acpi_image::fix_checksum(tiny);
  EXPECT_EQ(parse_fadt(B(tiny)).error(), Err::Corrupt);
  EXPECT_EQ(parse_fadt(Bytes(t.data(), 200)).error(), Err::Truncated);
  auto narrow = acpi_image::q35_fadt();
  acpi_image::put_gas(narrow, 172, 0, 0, 0);  // fall back to the legacy block ...
  narrow[89] = 1;                              // ... which is one byte wide
  acpi_image::fix_checksum(narrow);
  EXPECT_EQ(parse_fadt(B(narrow)).error(), Err::Corrupt);
}

TEST(AcpiFadt, Pm1SleepValuePreservesOtherBits) {
  EXPECT_EQ(pm1_sleep_value(PM1_SCI_EN, 0), PM1_SCI_EN | PM1_SLP_EN);
  EXPECT_EQ(pm1_sleep_value(0, 5), (5u << 10) | PM1_SLP_EN);
  EXPECT_EQ(pm1_sleep_value(0xffff, 0), 0xffff & ~PM1_SLP_TYP_MASK);
  EXPECT_EQ(pm1_sleep_value(0x0003, 7), 0x0003 | (7u << 10) | PM1_SLP_EN);
}

// QEMU's DSDT has `Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero })`
// in the root scope, after other objects.
TEST(AcpiSleepType, QemuShape) {
  std::vector<uint8_t> body{0x10, 0x05, '\\', '_', 'S', 'B', '_'};  // a Scope first
  body = cat(body, name_package(false, 4, {0x00, 0x00, 0x00, 0x00}));
  auto s = find_sleep_type(B(sdt("DSDT", 1, body)), "_S5_");
  ASSERT_TRUE(s) << capos::err_name(s.error());
  EXPECT_EQ(s->a, 0);
  EXPECT_EQ(s->b, 0);
}

TEST(AcpiSleepType, IntegerEncodingsAndRootPrefix) {
  auto t = sdt("DSDT", 2, name_package(true, 2, {0x0A, 0x05, 0x0B, 0x07, 0x00}));
  auto s = find_sleep_type(B(t), "_S5_");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->a, 5);
  EXPECT_EQ(s->b, 7);
  t = sdt("SSDT", 2, name_package(false, 2, {0x0C, 6, 0, 0, 0, 0x0E, 1, 0, 0, 0, 0, 0, 0, 0}));
  s = find_sleep_type(B(t), "_S5_");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->a, 6);
  EXPECT_EQ(s->b, 1);
  t = sdt("DSDT", 2, name_package(false, 2, {0x01, 0x00}));
  EXPECT_EQ(find_sleep_type(B(t), "_S5_")->a, 1);
}

TEST(AcpiSleepType, OneElementPacksBothValues) {
  auto t = sdt("DSDT", 2, name_package(false, 1, {0x0B, 0x05, 0x03}));
  auto s = find_sleep_type(B(t), "_S5_");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->a, 5);
  EXPECT_EQ(s->b, 3);
}

TEST(AcpiSleepType, MultiBytePkgLength) {
  // PkgLength 0x41 0x00: two bytes, length 1 -> too small for itself.
  std::vector<uint8_t> a{0x08, '_', 'S', '5', '_', 0x12, 0x41, 0x00, 0x02, 0x0A, 0x05, 0x0A, 0x06};
  EXPECT_EQ(find_sleep_type(B(sdt("DSDT", 2, a)), "_S5_").error(), Err::Corrupt);
  // Length 7 encoded in two bytes (lead 0x47, next 0x00): covers the package.
  a[6] = 0x47;
  auto s = find_sleep_type(B(sdt("DSDT", 2, a)), "_S5_");
  ASSERT_TRUE(s) << capos::err_name(s.error());
  EXPECT_EQ(s->a, 5);
  EXPECT_EQ(s->b, 6);
  a[6] = 0x77;  // reserved bits 4-5 set in a multi-byte lead
  EXPECT_EQ(find_sleep_type(B(sdt("DSDT", 2, a)), "_S5_").error(), Err::Corrupt);
}

TEST(AcpiSleepType, IgnoresTheNameOutsideADefinition) {
  // "_S5_" as a string, then as a method name, then the real definition.
  std::vector<uint8_t> body{0x0D, '_', 'S', '5', '_', 0x00};                   // String
  body = cat(body, {0x14, 0x06, '_', 'S', '5', '_', 0x00, 0xA4});              // Method (..) { Return }
  body = cat(body, {0x08, '_', 'S', '5', '_', 0x0A, 0x03});                    // Name (_S5, 3): not a package
  body = cat(body, name_package(false, 2, {0x0A, 0x02, 0x0A, 0x04}));
  auto s = find_sleep_type(B(sdt("DSDT", 2, body)), "_S5_");
  ASSERT_TRUE(s) << capos::err_name(s.error());
  EXPECT_EQ(s->a, 2);
  EXPECT_EQ(s->b, 4);
  EXPECT_EQ(find_sleep_type(B(sdt("DSDT", 2, body)), "_S4_").error(), Err::NotFound);
}

TEST(AcpiSleepType, RejectsMalformedPackages) {
  auto err = [](const std::vector<uint8_t>& aml) { return find_sleep_type(B(sdt("DSDT", 2, aml)), "_S5_").error(); };
  EXPECT_EQ(err(name_package(false, 0, {})), Err::Corrupt);                       // no elements
  EXPECT_EQ(err(name_package(false, 2, {0x0A, 0x08, 0x00})), Err::Corrupt);       // 8 does not fit 3 bits
  EXPECT_EQ(err(name_package(false, 2, {0xFF, 0x00})), Err::Corrupt);             // Ones
  EXPECT_EQ(err(name_package(false, 2, {0x0A, 0x01, 0x0B, 0x01})), Err::Corrupt); // word cut by the package
  EXPECT_EQ(err(name_package(false, 2, {0x5F, 0x5F, 0x5F, 0x5F})), Err::Unsupported);  // a name reference
  EXPECT_EQ(err(name_package(false, 2, {0x0A})), Err::Corrupt);                   // byte prefix, no byte
  auto past = name_package(false, 2, {0x00, 0x00});
  past[6] = 40;  // PkgLength past the end of the table
  EXPECT_EQ(err(past), Err::Corrupt);
  EXPECT_EQ(err({0x08, '_', 'S', '5', '_', 0x12}), Err::Corrupt);                // PkgLength missing
  EXPECT_EQ(find_sleep_type(B(sdt("FACP", 2, name_package(false, 2, {0, 0}))), "_S5_").error(), Err::Corrupt);
}

}  // namespace
