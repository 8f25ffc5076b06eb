// Runs a generated Cap'n Proto server skeleton for a kernel capability:
// decodes the caller's params (bounded by reader limits), dispatches by
// method ordinal, and frames the results — or, when the method fails, a
// serialized CapException — into the caller's result scratch.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "lib/capnp/rpc.h"

namespace capos {

// Traversal/nesting limits for kernel-decoded params (a 16 KiB message
// can never legitimately need more).
constexpr uint64_t KERNEL_PARAMS_TRAVERSAL_WORDS = 8 * 1024;
constexpr int32_t KERNEL_PARAMS_NESTING = 16;

void dispatch_kernel_server(capnp::Server& server, CallContext& ctx);

// Serializes a CapException for `e` into ctx.results (sets ctx.exception).
void write_exception(CallContext& ctx, Err e, StrView message);

// Issue 22 finding 5, "the result is delivered, or the operation is not
// performed" (docs/abi.md): a method that is about to unmap, decommit or
// re-protect [addr, addr + len) of the caller's own address space calls
// this before any side effect. It refuses (InvalidArgument, with a
// message; nothing changed) when the range overlaps this CALL's result
// buffer, or when the result buffer cannot hold the reply -- either would
// let the method succeed and then report INVALID_RESULT_BUFFER.
Status preflight_address_change(UserAddr addr, uint64_t len);

// The call the current thread is dispatching (for handlers that need the
// caller, e.g. spawning or blocking).
CallContext& current_call();

}  // namespace capos
