// ACPI system description table framing shared by the table parsers:
// signature, declared length and checksum of firmware bytes, which are
// untrusted like any other input (a broken or hostile firmware must cost
// us a clean error, never a wild read).
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"

namespace capos::acpi {

constexpr size_t SDT_HEADER_SIZE = 36;

// `table` starts at an SDT header whose signature is `sig` (4 chars).
// Returns the table cut to its declared length (header included).
// Errors: Truncated (shorter than the header or its declared length),
// Corrupt (wrong signature, a length below the header, bad checksum).
Result<Bytes> check_sdt(Bytes table, const char* sig);

// Generic Address Structure (ACPI 6.5, 5.2.3.2).
enum class AddressSpace : uint8_t { Memory = 0, Io = 1, PciConfig = 2 };

struct GenericAddress {
  uint8_t space = 0;
  uint8_t bit_width = 0;
  uint8_t bit_offset = 0;
  uint8_t access_size = 0;
  uint64_t address = 0;  // 0: the register is absent

  bool present() const { return address != 0; }
};

// Decodes the 12 bytes at `p` (caller has bounds-checked them).
GenericAddress read_gas(const uint8_t* p);

// The I/O port of an I/O-space register of `bytes` width; Unsupported for
// any other address space, OutOfRange if the port range leaves 0..0xffff,
// NotFound if the register is absent.
Result<uint16_t> io_port(const GenericAddress& g, uint32_t bytes);

}  // namespace capos::acpi
