// Lookup of the capabilities a process was started with (the read-only
// CapSet page). Names are the manifest's grant names; the interface id is
// checked so a program never mistakes one interface for another.
#pragma once

#include <stdint.h>

#include "lib/abi/capset.h"
#include "lib/core/cstring.h"
#include "lib/core/result.h"

namespace capos::rt {

void capset_attach(const abi::CapSetHeader* page);
// NotFound if no such name, Unsupported if the interface differs.
Result<uint32_t> capset_find(StrView name, uint64_t interface_id);
uint32_t capset_count();
// Entry `i` (for listing), or nullptr.
const abi::CapSetEntry* capset_entry(uint32_t i);
StrView capset_name(const abi::CapSetEntry& e);

}  // namespace capos::rt
