// Symbol lookup over the table embedded by the second link pass
// (tools/ksyms). Format: KsymsHeader, sorted KsymEntry[], string table.
#pragma once

#include <stdint.h>

#include "lib/core/cstring.h"

namespace capos::ksyms {

constexpr uint32_t MAGIC = 0x4d59534b;  // "KSYM"
struct Header {
  uint32_t magic;
  uint32_t count;
  uint32_t strtab_offset;  // from the start of the header
  uint32_t strtab_size;
};
struct Entry {
  uint64_t addr;
  uint32_t size;
  uint32_t name_offset;  // into the string table
};

// Finds the function containing `addr`; false when unknown.
bool lookup(uint64_t addr, StrView* name, uint64_t* offset);
uint32_t count();

}  // namespace capos::ksyms
