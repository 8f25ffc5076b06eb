// The one error vocabulary for kernel-internal and library code.
// Transport codes seen by userspace (CAP_ERR_*) live in lib/abi and are
// mapped from these at the ring boundary.
#pragma once

#include <stdint.h>

namespace capos {

enum class Err : int32_t {
  InvalidArgument = 1,  // malformed or out-of-contract input
  OutOfMemory,          // an allocator or arena is exhausted
  OutOfRange,           // index/offset/length outside its container
  NotFound,
  AlreadyExists,
  Busy,
  Overloaded,           // a quota or bounded queue is full
  Unsupported,
  Corrupt,              // structural damage in untrusted bytes
  Truncated,            // input ended early
  LimitExceeded,        // traversal/nesting/size limit hit
  PermissionDenied,
  Disconnected,
  Stale,                // generation mismatch
  Fault,                // user memory access failed
  Failed,               // a callee failed (CapException type `failed`)
  // The transport conditions below have no general-purpose equivalent;
  // they exist so every CAP_ERR_* code reaches userspace as its own Err
  // (lib/abi/cap_err.h).
  InvokeFailed,         // cap lookup or invocation failed before any result
  InterfaceMismatch,    // the cap does not implement the requested interface
  InvalidTransfer,      // a malformed capability transfer descriptor
  QuotaExceeded,        // a resource ledger limit would be exceeded
  Cancelled,
  TimedOut,
  ValueChanged,         // a compare-and-wait found another value (PARK)
};

constexpr const char* err_name(Err e) {
  switch (e) {
    case Err::InvalidArgument: return "invalid-argument";
    case Err::OutOfMemory: return "out-of-memory";
    case Err::OutOfRange: return "out-of-range";
    case Err::NotFound: return "not-found";
    case Err::AlreadyExists: return "already-exists";
    case Err::Busy: return "busy";
    case Err::Overloaded: return "overloaded";
    case Err::Unsupported: return "unsupported";
    case Err::Corrupt: return "corrupt";
    case Err::Truncated: return "truncated";
    case Err::LimitExceeded: return "limit-exceeded";
    case Err::PermissionDenied: return "permission-denied";
    case Err::Disconnected: return "disconnected";
    case Err::Stale: return "stale";
    case Err::Fault: return "fault";
    case Err::Failed: return "failed";
    case Err::InvokeFailed: return "invoke-failed";
    case Err::InterfaceMismatch: return "interface-mismatch";
    case Err::InvalidTransfer: return "invalid-transfer";
    case Err::QuotaExceeded: return "quota-exceeded";
    case Err::Cancelled: return "cancelled";
    case Err::TimedOut: return "timed-out";
    case Err::ValueChanged: return "value-changed";
  }
  return "unknown-error";
}

// An Err with a static detail string saying which rule or step failed
// (like SerenityOS's Error::from_string_literal): returned by value in a
// Result<T, DetailedErr>, never through an out-parameter. `detail` is a
// string literal or another static string, so it outlives every copy.
struct DetailedErr {
  Err code = Err::Failed;
  const char* detail = "";
};

}  // namespace capos
