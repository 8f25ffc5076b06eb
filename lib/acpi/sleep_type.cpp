#include "lib/acpi/sleep_type.h"

#include "lib/core/cstring.h"

namespace capos::acpi {

namespace {

// AML opcodes (ACPI 6.5, 20.3).
constexpr uint8_t ZERO_OP = 0x00, ONE_OP = 0x01, NAME_OP = 0x08, BYTE_PREFIX = 0x0A, WORD_PREFIX = 0x0B,
                  DWORD_PREFIX = 0x0C, QWORD_PREFIX = 0x0E, PACKAGE_OP = 0x12, ROOT_CHAR = '\\', ONES_OP = 0xFF;

// PkgLength at `pos` (20.2.4): 1 to 4 bytes; the length counts itself.
// Returns the offset one past the package within `aml`.
Result<size_t> pkg_end(Bytes aml, size_t pos) {
  if (pos >= aml.size()) return fail(Err::Corrupt);
  uint8_t lead = aml[pos];
  uint32_t follow = lead >> 6;
  uint64_t len;
  if (follow == 0) {
    len = lead & 0x3F;
  } else {
    if (lead & 0x30) return fail(Err::Corrupt);  // reserved bits of a multi-byte lead
    if (pos + follow >= aml.size()) return fail(Err::Corrupt);
    len = lead & 0x0F;
    for (uint32_t i = 0; i < follow; ++i) len |= uint64_t{aml[pos + 1 + i]} << (4 + 8 * i);
  }
  if (len < follow + 1 || len > aml.size() - pos) return fail(Err::Corrupt);
  return pos + static_cast<size_t>(len);
}

// One integer constant at `*pos`, not reading at or past `end`.
Result<uint64_t> integer(Bytes aml, size_t* pos, size_t end) {
  if (*pos >= end) return fail(Err::Corrupt);
  uint8_t op = aml[(*pos)++];
  size_t n;
  switch (op) {
    case ZERO_OP: return uint64_t{0};
    case ONE_OP: return uint64_t{1};
    case ONES_OP: return ~uint64_t{0};
    case BYTE_PREFIX: n = 1; break;
    case WORD_PREFIX: n = 2; break;
    case DWORD_PREFIX: n = 4; break;
    case QWORD_PREFIX: n = 8; break;
    default: return fail(Err::Unsupported);
  }
  if (end - *pos < n) return fail(Err::Corrupt);
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{aml[*pos + i]} << (8 * i);
  *pos += n;
  return v;
}

// The package whose PackageOp is at `pos`.
Result<SleepType> decode_package(Bytes aml, size_t pos) {
  size_t end = CAPOS_TRY(pkg_end(aml, pos + 1));
  // Skip the PkgLength bytes to NumElements.
  size_t p = pos + 2 + (aml[pos + 1] >> 6);
  if (p >= end) return fail(Err::Corrupt);
  uint8_t count = aml[p++];
  if (count == 0) return fail(Err::Corrupt);
  uint64_t a = CAPOS_TRY(integer(aml, &p, end));
  uint64_t b;
  if (count >= 2) {
    b = CAPOS_TRY(integer(aml, &p, end));
  } else {
    // One element: old firmware packs SLP_TYPa in the low byte and SLP_TYPb
    // in the next (the convention ACPICA accepts too).
    b = (a >> 8) & 0xFF;
    a &= 0xFF;
  }
  if (a > 7 || b > 7) return fail(Err::Corrupt);
  return SleepType{static_cast<uint8_t>(a), static_cast<uint8_t>(b)};
}

}  // namespace

Result<SleepType> find_sleep_type(Bytes table, const char* name) {
  const char* sig = table.size() >= 4 && memcmp(table.data(), "SSDT", 4) == 0 ? "SSDT" : "DSDT";
  Bytes t = CAPOS_TRY(check_sdt(table, sig));
  Bytes aml = CAPOS_TRY(t.subspan(SDT_HEADER_SIZE));
  // Each candidate costs O(1) plus its package, which is bounded by the
  // table; the first structurally matching one is the answer.
  for (size_t i = 1; i + 5 <= aml.size(); ++i) {
    if (memcmp(aml.data() + i, name, 4) != 0 || aml[i + 4] != PACKAGE_OP) continue;
    bool named = aml[i - 1] == NAME_OP || (aml[i - 1] == ROOT_CHAR && i >= 2 && aml[i - 2] == NAME_OP);
    if (!named) continue;
    return decode_package(aml, i + 4);
  }
  return fail(Err::NotFound);
}

}  // namespace capos::acpi
