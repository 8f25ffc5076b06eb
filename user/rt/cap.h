// Typed capabilities in userspace. rt::Cap<Iface> is the non-owning handle
// every generated Client takes (lib/capnp/cap.h); rt::OwnedCap<Iface>
// (owned_cap.h) releases it. A raw CapId becomes typed only where the
// runtime reads one with its interface id: capset_find<Iface> (CapSet
// entry) and record_cap<Iface> (a transfer record a call returned).
#pragma once

#include "lib/abi/ipc.h"
#include "lib/capnp/cap.h"
#include "lib/core/result.h"

namespace capos::rt {

template <class Iface>
using Cap = capnp::Cap<Iface>;
using capnp::AnyInterface;

// The result cap in `rec`, typed after checking the interface id the
// kernel recorded with it (InterfaceMismatch otherwise). AnyInterface
// accepts any record.
template <class Iface>
Result<Cap<Iface>> record_cap(const abi::CapTransferRecord& rec) {
  if (Iface::kInterfaceId != 0 && rec.interface_id != Iface::kInterfaceId) return fail(Err::InterfaceMismatch);
  return Cap<Iface>::unchecked(rec.cap_id);
}

}  // namespace capos::rt
