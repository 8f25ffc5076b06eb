// Endpoint server loop: a service is a class implementing a generated
// `X::Server`; rt::serve() RECVs calls on the endpoint's owner facet,
// decodes the params with reader limits, dispatches, and RETURNs the
// results (or a serialized CapException). The RETURN of one call and the
// RECV for the next go to the kernel in one cap_enter.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/abi/ring.h"
#include "lib/capnp/rpc.h"
#include "schema/ipc.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::rt {

// Reader limits for params (a call is at most 16 KiB = 2048 words; the
// budget allows modest sharing without letting a hostile message loop).
constexpr uint64_t kServeTraversalWords = 8 * abi::IPC_MESSAGE_MAX / 8;
constexpr int32_t kServeNesting = 32;

// Serves forever; returns only if RECV fails (e.g. the cap is not an
// owner facet) or the ring breaks.
Status serve(Cap<schema::wire::Endpoint> endpoint, capnp::Server& server);

// ---- Building blocks for a server of several endpoints (one per object
// it hands out, e.g. fsd's Directory and File objects).

// Dispatches the call a RECV delivered into `buf` (`received` bytes, the
// RECV's CQE result) to `server` and returns the RETURN to submit on
// `ep`. Its payload stays valid until the next handle_call.
abi::CapSqe handle_call(uint32_t ep, const uint8_t* buf, int32_t received, capnp::Server& server);
// After the RETURN `ret` of `call` completed with `done`: if its result
// caps could not be delivered, answers the call with an exception.
Status finish_return(const abi::CapSqe& ret, const abi::EndpointMessageHeader& call, abi::CapCqe done);

struct AsyncCall;
// Serves until the asynchronous call `until` (already submitted) completes,
// then releases `endpoint` (the owner facet: its clients go stale) and
// reaps the RECV that was still posted. For a process that serves a
// short-lived endpoint while it waits for something else (the shell
// serving a child's StdIO until ProcessLauncher.wait completes).
Status serve_until(Cap<schema::wire::Endpoint> endpoint, capnp::Server& server, AsyncCall& until);
// Serves like serve(), and each time the asynchronous call `tick` (already
// submitted) completes, between calls, runs on_tick(ctx), which submits it
// again (a Timer.sleep, say: periodic work in a single-threaded server).
// If on_tick leaves `tick` idle, serving goes on without ticks.
Status serve_ticking(Cap<schema::wire::Endpoint> endpoint, capnp::Server& server, AsyncCall& tick,
                     void (*on_tick)(void*), void* ctx);

// ---- Inside Server::dispatch: facts about the call being served.

// Header of the current call: method, interface, the service-scoped caller
// reference (identity as data, never authority) and session epoch.
const abi::EndpointMessageHeader& current_call();
// Caps the caller transferred with this call (params capability fields
// index these). Unless kept, they are released after dispatch, so a client
// cannot fill the server's table by attaching caps to every call.
Span<const abi::CapTransferRecord> current_call_caps();
void keep_call_cap(uint32_t index);
// Attach a result cap (copy or move from our table); returns the index to
// store in the results' capability field, or fails when the RETURN is full.
Result<uint32_t> add_result_cap(uint32_t cap_id, uint8_t mode);
// Message for the CapException if dispatch then fails (default: the Err name).
void set_error_message(StrView msg);

}  // namespace capos::rt
