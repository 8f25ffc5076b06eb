#include "lib/acpi/sdt.h"

#include "lib/core/cstring.h"

namespace capos::acpi {

Result<Bytes> check_sdt(Bytes table, const char* sig) {
  if (table.size() < SDT_HEADER_SIZE) return fail(Err::Truncated);
  const uint8_t* p = table.data();
  if (memcmp(p, sig, 4) != 0) return fail(Err::Corrupt);
  uint32_t len;
  memcpy(&len, p + 4, 4);
  if (len < SDT_HEADER_SIZE) return fail(Err::Corrupt);
  if (len > table.size()) return fail(Err::Truncated);
  uint8_t sum = 0;
  for (uint32_t i = 0; i < len; ++i) sum = static_cast<uint8_t>(sum + p[i]);
  if (sum != 0) return fail(Err::Corrupt);
  return Bytes(p, len);
}

GenericAddress read_gas(const uint8_t* p) {
  GenericAddress g;
  g.space = p[0];
  g.bit_width = p[1];
  g.bit_offset = p[2];
  g.access_size = p[3];
  memcpy(&g.address, p + 4, 8);
  return g;
}

Result<uint16_t> io_port(const GenericAddress& g, uint32_t bytes) {
  if (!g.present()) return fail(Err::NotFound);
  if (g.space != static_cast<uint8_t>(AddressSpace::Io)) return fail(Err::Unsupported);
  if (bytes == 0 || g.address > 0x10000 - bytes) return fail(Err::OutOfRange);
  return static_cast<uint16_t>(g.address);
}

}  // namespace capos::acpi
