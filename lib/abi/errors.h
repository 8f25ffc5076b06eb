// Transport error codes carried as negative CQE results (ABI: docs/abi.md).
// -1..-5 match the capOS manual; the rest are ours. Listed once (X-macro)
// so the enum and the name table cannot drift apart.
#pragma once

#include <stdint.h>

#define CAPOS_CAP_ERRORS(X)                                                           \
  X(INVALID_REQUEST, -1, "malformed SQE or opcode outside the ABI")                 \
  X(INVALID_PARAMS_BUFFER, -2, "params range unmapped, out of bounds or unreadable")  \
  X(INVALID_RESULT_BUFFER, -3, "result range unmapped, out of bounds or unwritable")  \
  X(INVOKE_FAILED, -4, "cap lookup or invocation failed before any result")          \
  X(UNSUPPORTED_OPCODE, -5, "opcode reserved but not dispatched")                    \
  X(APPLICATION_EXCEPTION, -6, "result buffer holds a serialized CapException")      \
  X(APPLICATION_EXCEPTION_TRUNCATED, -7, "CapException did not fit the result buffer") \
  X(INVALID_CAP, -8, "cap id out of range or slot empty")                            \
  X(STALE_CAP, -9, "cap id generation does not match the slot")                      \
  X(INTERFACE_MISMATCH, -10, "cap does not implement the requested interface")       \
  X(INVALID_TRANSFER, -11, "malformed capability transfer descriptor")               \
  X(QUOTA_EXCEEDED, -12, "a resource ledger limit would be exceeded")                \
  X(DISCONNECTED, -13, "the object behind the cap is gone")                          \
  X(OVERLOADED, -14, "a bounded queue is full; retry later")                         \
  X(RING_CORRUPT, -15, "ring header indexes out of range; nothing was consumed")     \
  X(CANCELLED, -16, "the operation was cancelled")                                   \
  X(TIMED_OUT, -17, "the operation timed out")

namespace capos::abi {

enum CapErr : int32_t {
#define CAPOS_X(name, value, text) CAP_ERR_##name = value,
  CAPOS_CAP_ERRORS(CAPOS_X)
#undef CAPOS_X
};

constexpr const char* cap_err_name(int32_t code) {
  switch (code) {
#define CAPOS_X(name, value, text) \
  case value: return "CAP_ERR_" #name;
    CAPOS_CAP_ERRORS(CAPOS_X)
#undef CAPOS_X
  }
  return "CAP_ERR_?";
}

}  // namespace capos::abi
