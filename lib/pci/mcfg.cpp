#include "lib/pci/mcfg.h"

#include "lib/core/cstring.h"

namespace capos::pci {

namespace {
constexpr size_t SDT_HEADER = 36;
constexpr size_t MCFG_RESERVED = 8;  // after the common header
constexpr size_t ENTRY = 16;
}  // namespace

Result<size_t> parse_mcfg(Bytes table, Span<EcamRegion> out) {
  if (table.size() < SDT_HEADER + MCFG_RESERVED) return fail(Err::Truncated);
  const uint8_t* p = table.data();
  if (memcmp(p, "MCFG", 4) != 0) return fail(Err::Corrupt);
  uint32_t len;
  memcpy(&len, p + 4, 4);
  if (len < SDT_HEADER + MCFG_RESERVED) return fail(Err::Corrupt);
  if (len > table.size()) return fail(Err::Truncated);
  uint8_t sum = 0;
  for (uint32_t i = 0; i < len; ++i) sum = static_cast<uint8_t>(sum + p[i]);
  if (sum != 0) return fail(Err::Corrupt);
  size_t entries = (len - SDT_HEADER - MCFG_RESERVED) / ENTRY;
  size_t stored = 0;
  for (size_t i = 0; i < entries; ++i) {
    const uint8_t* e = p + SDT_HEADER + MCFG_RESERVED + i * ENTRY;
    EcamRegion r;
    memcpy(&r.base, e, 8);
    memcpy(&r.segment, e + 8, 2);
    r.start_bus = e[10];
    r.end_bus = e[11];
    if (r.end_bus < r.start_bus || (r.base & (ECAM_BUS_BYTES - 1)) != 0) return fail(Err::Corrupt);
    uint64_t end = ecam_offset(r.end_bus, 0, 0) + ECAM_BUS_BYTES;
    if (r.base + end < r.base) return fail(Err::Corrupt);
    if (stored < out.size()) out[stored++] = r;
  }
  return stored;
}

}  // namespace capos::pci
