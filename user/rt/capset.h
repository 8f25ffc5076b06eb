// Lookup of the capabilities a process was started with (the read-only
// CapSet page). Names are the manifest's grant names; the interface id is
// checked so a program never mistakes one interface for another, and the
// cap comes back typed (rt::Cap<Iface>), so the compiler keeps it that way.
#pragma once

#include <stdint.h>

#include "lib/abi/capset.h"
#include "lib/core/cstring.h"
#include "lib/core/result.h"
#include "user/rt/cap.h"

namespace capos::rt {

void capset_attach(const abi::CapSetHeader* page);
// The raw id behind `name`: NotFound if no such name, InterfaceMismatch if
// `interface_id` is non-zero and differs. For code that only passes a cap
// on (init granting by a table); callers use capset_find<Iface>.
Result<uint32_t> capset_find_id(StrView name, uint64_t interface_id);
// `name` as a Cap<Iface>, checked against the entry's interface id
// (capset_find<AnyInterface> accepts any entry).
template <class Iface>
Result<Cap<Iface>> capset_find(StrView name) {
  return Cap<Iface>::unchecked(CAPOS_TRY(capset_find_id(name, Iface::kInterfaceId)));
}
// A raw id init recorded from the CapSet (e.g. by manifest kind), typed
// after checking the interface id its CapSet entry carries.
Result<uint64_t> capset_interface_of(uint32_t id);
template <class Iface>
Result<Cap<Iface>> capset_typed(uint32_t id) {
  if (CAPOS_TRY(capset_interface_of(id)) != Iface::kInterfaceId) return fail(Err::InterfaceMismatch);
  return Cap<Iface>::unchecked(id);
}
uint32_t capset_count();
// Entry `i` (for listing), or nullptr.
const abi::CapSetEntry* capset_entry(uint32_t i);
StrView capset_name(const abi::CapSetEntry& e);

}  // namespace capos::rt
