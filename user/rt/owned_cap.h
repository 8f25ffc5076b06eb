// OwnedCap: RAII ownership of a CapId. Destruction (or release()) submits
// a RELEASE SQE, so a capability a program is done with leaves its table
// deterministically — the userspace side of "the last reference destroys
// the object". Move-only; leak() hands the id on without releasing it.
#pragma once

#include <stdint.h>

#include "lib/abi/capid.h"
#include "lib/abi/ring.h"
#include "lib/core/utility.h"
#include "user/rt/ring.h"

namespace capos::rt {

class OwnedCap {
 public:
  OwnedCap() = default;
  explicit OwnedCap(uint32_t id) : id_(id) {}
  OwnedCap(const OwnedCap&) = delete;
  OwnedCap& operator=(const OwnedCap&) = delete;
  OwnedCap(OwnedCap&& o) : id_(o.leak()) {}
  OwnedCap& operator=(OwnedCap&& o) {
    if (this != &o) {
      release();
      id_ = o.leak();
    }
    return *this;
  }
  ~OwnedCap() { release(); }

  uint32_t get() const { return id_; }
  explicit operator bool() const { return id_ != abi::CAPID_INVALID; }
  uint32_t leak() {
    uint32_t id = id_;
    id_ = abi::CAPID_INVALID;
    return id;
  }
  // Returns the RELEASE result (0 or a CAP_ERR_*); releasing nothing is 0.
  int32_t release() {
    if (id_ == abi::CAPID_INVALID) return 0;
    abi::CapSqe s{};
    s.opcode = abi::CAP_OP_RELEASE;
    s.cap_id = leak();
    s.user_data = ring().next_user_data();
    return ring().call(s).result;
  }

 private:
  uint32_t id_ = abi::CAPID_INVALID;
};

}  // namespace capos::rt
