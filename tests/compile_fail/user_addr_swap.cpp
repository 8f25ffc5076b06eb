// Compile-fail probe for typed user addresses (kernel/mm/user_addr.h):
// copy_between's source and destination cannot be swapped, and a bare
// integer is not a user address. Built by tests/compile_fail/check.py:
// with -DCAPOS_PROBE_CONTROL the correct calls must compile; without it
// the misuse (a swapped copy_between, or with -DPROBE_RAW_ADDRESS a raw
// integer handed to copy_to_user the way kernel_write takes an address)
// must be rejected.
#include "kernel/proc/address_space.h"

namespace capos {

Status probe(const AddressSpace& from, const AddressSpace& to, uint64_t sqe_addr, uint64_t sqe_len) {
  UserIn params(UserAddr(sqe_addr), sqe_len);
  UserOut result(UserAddr(sqe_addr), sqe_len);
  const uint8_t byte = 0;
#if defined(CAPOS_PROBE_CONTROL)
  CAPOS_TRY_STATUS(to.copy_to_user(result.first(1), &byte));
  return AddressSpace::copy_between(from, params, to, result);
#elif defined(PROBE_RAW_ADDRESS)
  (void)params;
  (void)result;
  return to.copy_to_user(sqe_addr, &byte);
#else
  (void)byte;
  return AddressSpace::copy_between(to, result, from, params);
#endif
}

}  // namespace capos
