// ACPI FADT ("FACP", ACPI 6.5 5.2.9): the fixed registers capOS drives to
// power off (PM1a/PM1b control, with SLP_TYP from the DSDT's \_S5) and to
// reset (RESET_REG), and where the DSDT lives. Firmware bytes are
// untrusted: every field is read only if the declared length covers it.
#pragma once

#include <stdint.h>

#include "lib/acpi/sdt.h"

namespace capos::acpi {

struct Fadt {
  uint8_t revision = 0;
  uint64_t dsdt = 0;              // physical address (X_DSDT wins when set); 0: none
  uint32_t smi_cmd = 0;           // port to ask firmware for ACPI mode; 0: already on
  uint8_t acpi_enable = 0;        // value written to smi_cmd for that
  GenericAddress pm1a_cnt;        // X_PM1a_CNT_BLK, else the legacy port
  GenericAddress pm1b_cnt;        // optional second block
  bool reset_supported = false;   // RESET_REG_SUP and a present RESET_REG
  GenericAddress reset_reg;
  uint8_t reset_value = 0;
  bool hw_reduced = false;        // HW_REDUCED_ACPI: no PM1 blocks to drive
};

// `table` is the whole FADT, header included.
// Errors: those of check_sdt; Corrupt if shorter than the ACPI 1.0
// layout (116 bytes) or if a legacy PM1 control block is set but
// PM1_CNT_LEN is below 2 bytes.
Result<Fadt> parse_fadt(Bytes table);

// PM1 control register bits (ACPI 6.5, 4.8.3.2.1).
constexpr uint16_t PM1_SCI_EN = 1u << 0;
constexpr uint16_t PM1_SLP_EN = 1u << 13;
constexpr uint16_t PM1_SLP_TYP_MASK = 7u << 10;

// The value that enters sleep state `slp_typ` (3 bits) from the current
// register contents: other bits (SCI_EN among them) are preserved.
constexpr uint16_t pm1_sleep_value(uint16_t current, uint8_t slp_typ) {
  return static_cast<uint16_t>((current & ~(PM1_SLP_TYP_MASK | PM1_SLP_EN)) | ((slp_typ & 7u) << 10) | PM1_SLP_EN);
}

}  // namespace capos::acpi
