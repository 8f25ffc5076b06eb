// Cap<Iface>: a capability handle typed by the interface it implements.
// A generated Client accepts only a Cap of its own interface, so calling
// Console methods on a Timer cap is a compile error rather than a
// CAP_ERR_INTERFACE_MISMATCH at run time (tests/compile_fail). Non-owning;
// userspace ownership is rt::OwnedCap<Iface> (user/rt/owned_cap.h).
#pragma once

#include <stdint.h>

#include "lib/abi/capid.h"

namespace capos::capnp {

// The interface of a cap whose interface is not known statically (e.g. an
// endpoint client speaking a test-defined protocol). No generated Client
// accepts it; it is only ever used through the raw call paths.
struct AnyInterface {
  static constexpr uint64_t kInterfaceId = 0;
};

template <class Iface>
class Cap {
 public:
  using Interface = Iface;
  constexpr Cap() = default;
  // The one door from a raw id: the caller vouches that `id` names an
  // Iface — because a CapSet entry or transfer record said so (the
  // runtime's capset_find / record_cap check it), or by protocol contract.
  static constexpr Cap unchecked(uint32_t id) {
    Cap c;
    c.id_ = id;
    return c;
  }
  // Any typed cap may be used where the interface is not checked statically.
  constexpr Cap<AnyInterface> erase() const { return Cap<AnyInterface>::unchecked(id_); }

  constexpr uint32_t id() const { return id_; }
  constexpr explicit operator bool() const { return id_ != abi::CAPID_INVALID; }
  friend constexpr bool operator==(Cap a, Cap b) { return a.id_ == b.id_; }

 private:
  uint32_t id_ = abi::CAPID_INVALID;
};

}  // namespace capos::capnp
