// OwnedCap<Iface>: RAII ownership of a typed cap. Destruction (or
// release()) submits a RELEASE SQE, so a capability a program is done with
// leaves its table deterministically — the userspace side of "the last
// reference destroys the object". Move-only; leak() hands the cap on
// without releasing it.
#pragma once

#include <stdint.h>

#include "lib/abi/cap_err.h"
#include "lib/abi/capid.h"
#include "lib/abi/ring.h"
#include "lib/core/utility.h"
#include "user/rt/cap.h"
#include "user/rt/ring.h"

namespace capos::rt {

template <class Iface>
class OwnedCap {
 public:
  OwnedCap() = default;
  explicit OwnedCap(Cap<Iface> cap) : cap_(cap) {}
  OwnedCap(const OwnedCap&) = delete;
  OwnedCap& operator=(const OwnedCap&) = delete;
  OwnedCap(OwnedCap&& o) : cap_(o.leak()) {}
  OwnedCap& operator=(OwnedCap&& o) {
    if (this != &o) {
      (void)release();  // replacing: a stale old cap is already gone
      cap_ = o.leak();
    }
    return *this;
  }
  ~OwnedCap() { (void)release(); }

  Cap<Iface> get() const { return cap_; }
  explicit operator bool() const { return static_cast<bool>(cap_); }
  Cap<Iface> leak() {
    Cap<Iface> c = cap_;
    cap_ = Cap<Iface>();
    return c;
  }
  // The RELEASE outcome (e.g. Stale if the id was already gone); releasing
  // nothing succeeds.
  Status release() {
    if (!cap_) return ok_status();
    abi::CapSqe s{};
    s.opcode = abi::CAP_OP_RELEASE;
    s.cap_id = leak().id();
    s.user_data = ring().next_user_data();
    int32_t r = ring().call(s).result;
    if (r < 0) return fail(abi::cap_err_to_err(r));
    return ok_status();
  }

 private:
  Cap<Iface> cap_;
};

}  // namespace capos::rt
