// Transport error codes carried as negative CQE results (ABI: docs/abi.md).
// -1..-5 match the capOS manual; the rest are ours. Listed once (X-macro)
// so the enum, the name table and the userspace Err mapping
// (lib/abi/cap_err.h) cannot drift apart. The third column names the
// capos::Err each code reaches userspace as; every code has its own.
#pragma once

#include <stdint.h>

#define CAPOS_CAP_ERRORS(X)                                                                          \
  X(INVALID_REQUEST, -1, InvalidArgument, "malformed SQE or opcode outside the ABI")                \
  X(INVALID_PARAMS_BUFFER, -2, Fault, "params range unmapped, out of bounds or unreadable")         \
  X(INVALID_RESULT_BUFFER, -3, OutOfRange, "result range unmapped, out of bounds or unwritable")    \
  X(INVOKE_FAILED, -4, InvokeFailed, "cap lookup or invocation failed before any result")           \
  X(UNSUPPORTED_OPCODE, -5, Unsupported, "opcode reserved but not dispatched")                      \
  X(APPLICATION_EXCEPTION, -6, Failed, "result buffer holds a serialized CapException")             \
  X(APPLICATION_EXCEPTION_TRUNCATED, -7, Truncated, "CapException did not fit the result buffer")   \
  X(INVALID_CAP, -8, NotFound, "cap id out of range or slot empty")                                 \
  X(STALE_CAP, -9, Stale, "cap id generation does not match the slot")                              \
  X(INTERFACE_MISMATCH, -10, InterfaceMismatch, "cap does not implement the requested interface")   \
  X(INVALID_TRANSFER, -11, InvalidTransfer, "malformed capability transfer descriptor")             \
  X(QUOTA_EXCEEDED, -12, QuotaExceeded, "a resource ledger limit would be exceeded")                \
  X(DISCONNECTED, -13, Disconnected, "the object behind the cap is gone")                           \
  X(OVERLOADED, -14, Overloaded, "a bounded queue is full; retry later")                            \
  X(RING_CORRUPT, -15, Corrupt, "ring header indexes out of range; nothing was consumed")           \
  X(CANCELLED, -16, Cancelled, "the operation was cancelled")                                       \
  X(TIMED_OUT, -17, TimedOut, "the operation timed out")                                           \
  X(PARK_VALUE_CHANGED, -18, ValueChanged, "PARK: the word did not hold the expected value")

namespace capos::abi {

enum CapErr : int32_t {
#define CAPOS_X(name, value, err, text) CAP_ERR_##name = value,
  CAPOS_CAP_ERRORS(CAPOS_X)
#undef CAPOS_X
};

constexpr const char* cap_err_name(int32_t code) {
  switch (code) {
#define CAPOS_X(name, value, err, text) \
  case value: return "CAP_ERR_" #name;
    CAPOS_CAP_ERRORS(CAPOS_X)
#undef CAPOS_X
  }
  return "CAP_ERR_?";
}

}  // namespace capos::abi
