// The user buffers an SQE names, as typed spans (kernel/mm/user_addr.h):
// the one place ring code turns the ABI's integer fields into user
// addresses. What each opcode does with a field is the opcode's business
// (PARK reads its word through sqe_params' address; RECV's buffer is its
// sqe_result).
#pragma once

#include "kernel/mm/user_addr.h"
#include "lib/abi/ipc.h"
#include "lib/abi/ring.h"

namespace capos {

// The params message the kernel reads (CALL, RETURN's reply, PARK's word).
inline UserIn sqe_params(const abi::CapSqe& s) { return UserIn(UserAddr(s.params_addr), s.params_len); }
// The buffer the kernel fills (a CALL's result, a RECV's message).
inline UserOut sqe_result(const abi::CapSqe& s) { return UserOut(UserAddr(s.result_addr), s.result_len); }
// The transfer descriptors riding with a CALL or RETURN.
inline UserIn sqe_xfer_descs(const abi::CapSqe& s) {
  return UserIn(UserAddr(s.xfer_addr), uint64_t{s.xfer_count} * sizeof(abi::CapTransferDesc));
}

}  // namespace capos
