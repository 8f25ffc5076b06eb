#include "lib/acpi/fadt.h"

#include "lib/core/cstring.h"

namespace capos::acpi {

namespace {

// Field offsets in the FADT (ACPI 6.5, table 5.9).
constexpr uint32_t OFF_DSDT = 40, OFF_SMI_CMD = 48, OFF_ACPI_ENABLE = 52;
constexpr uint32_t OFF_PM1A_CNT = 64, OFF_PM1B_CNT = 68, OFF_PM1_CNT_LEN = 89;
constexpr uint32_t OFF_FLAGS = 112, OFF_RESET_REG = 116, OFF_RESET_VALUE = 128;
constexpr uint32_t OFF_X_DSDT = 140, OFF_X_PM1A_CNT = 172, OFF_X_PM1B_CNT = 184;
constexpr uint32_t GAS_SIZE = 12;
constexpr uint32_t ACPI1_LENGTH = 116;  // smallest FADT ever defined
constexpr uint32_t FLAG_RESET_REG_SUP = 1u << 10;
constexpr uint32_t FLAG_HW_REDUCED = 1u << 20;

uint32_t rd32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

// The extended block when the table has it and it is set, else the legacy
// I/O port block of `len` bytes (ACPI: X_ fields supersede when non-zero).
// A legacy block must hold the 16-bit register we write; an extended one
// is trusted for its address only (firmware often leaves its width 0).
Result<GenericAddress> pm1_block(Bytes t, uint32_t x_off, uint32_t legacy_off, uint8_t len) {
  if (t.size() >= x_off + GAS_SIZE) {
    GenericAddress x = read_gas(t.data() + x_off);
    if (x.present()) return x;
  }
  GenericAddress g;
  g.space = static_cast<uint8_t>(AddressSpace::Io);
  g.bit_width = static_cast<uint8_t>(len * 8u);
  g.address = rd32(t.data() + legacy_off);
  if (g.present() && len < 2) return fail(Err::Corrupt);
  return g;
}

}  // namespace

Result<Fadt> parse_fadt(Bytes table) {
  Bytes t = CAPOS_TRY(check_sdt(table, "FACP"));
  if (t.size() < ACPI1_LENGTH) return fail(Err::Corrupt);
  const uint8_t* p = t.data();
  Fadt f;
  f.revision = p[8];
  f.dsdt = rd32(p + OFF_DSDT);
  if (t.size() >= OFF_X_DSDT + 8) {
    uint64_t x;
    memcpy(&x, p + OFF_X_DSDT, 8);
    if (x) f.dsdt = x;
  }
  f.smi_cmd = rd32(p + OFF_SMI_CMD);
  f.acpi_enable = p[OFF_ACPI_ENABLE];
  uint32_t flags = rd32(p + OFF_FLAGS);
  f.hw_reduced = (flags & FLAG_HW_REDUCED) != 0;
  uint8_t cnt_len = p[OFF_PM1_CNT_LEN];
  f.pm1a_cnt = CAPOS_TRY(pm1_block(t, OFF_X_PM1A_CNT, OFF_PM1A_CNT, cnt_len));
  f.pm1b_cnt = CAPOS_TRY(pm1_block(t, OFF_X_PM1B_CNT, OFF_PM1B_CNT, cnt_len));
  if (t.size() >= OFF_RESET_VALUE + 1) {
    f.reset_reg = read_gas(p + OFF_RESET_REG);
    f.reset_value = p[OFF_RESET_VALUE];
    f.reset_supported = (flags & FLAG_RESET_REG_SUP) != 0 && f.reset_reg.present();
  }
  return f;
}

}  // namespace capos::acpi
