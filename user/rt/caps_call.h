// Typed calls that carry capabilities beside the message (docs/ipc.md):
// transfer descriptors on the CALL, result cap records after the reply.
// Interface-typed fields in params/results are indexes into these
// sidebands (schema/README.md), so a caller builds params with
// `setX(i)` for descriptor i and reads result field `getX()` as an index
// into the records returned here.
//
// Also an asynchronous form for calls that stay pending for a long time
// (ProcessHandle.wait, Timer.sleep): submit now, reap in any order later,
// while other ring traffic goes on.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/abi/ring.h"
#include "lib/capnp/rpc.h"
#include "user/rt/cap.h"

namespace capos::rt {

// Synchronous CALL. On success `resp` holds the reply and out[0..*n_out)
// the result caps (now owned by the caller). Result caps beyond out.size()
// are released, not leaked. Errors: transport errors mapped as by
// rt::transport(); an application exception maps its type, and its
// message is kept (call_exception()).
Status call_with_caps(uint32_t cap, uint64_t interface_id, uint16_t method_id,
                      const capnp::MessageBuilder& params, capnp::Response& resp,
                      Span<const abi::CapTransferDesc> xfer, Span<abi::CapTransferRecord> out,
                      uint32_t* n_out);

// The same on a typed cap: the interface id comes from its type.
template <class Iface>
Status call_with_caps(Cap<Iface> cap, uint16_t method_id, const capnp::MessageBuilder& params,
                      capnp::Response& resp, Span<const abi::CapTransferDesc> xfer,
                      Span<abi::CapTransferRecord> out, uint32_t* n_out) {
  static_assert(Iface::kInterfaceId != 0, "a typed call needs a known interface");
  return call_with_caps(cap.id(), Iface::kInterfaceId, method_id, params, resp, xfer, out, n_out);
}

// A call whose reply carries exactly one result cap (index 0, e.g.
// FrameAllocator.allocate, DeviceManager.claim): that cap, typed after
// its record's interface id is checked; the reply stays in `resp`.
template <class Out, class Iface>
Result<Cap<Out>> call_for_cap(Cap<Iface> cap, uint16_t method_id, const capnp::MessageBuilder& params,
                              capnp::Response& resp) {
  abi::CapTransferRecord rec[1];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(call_with_caps(cap, method_id, params, resp, Span<const abi::CapTransferDesc>(),
                                  Span<abi::CapTransferRecord>(rec, 1), &n));
  if (n != 1) return fail(Err::Corrupt);
  return record_cap<Out>(rec[0]);
}

// The message of the last application exception seen by call_with_caps /
// finish_call (empty otherwise); the failure itself is the call's Err.
StrView call_exception();

// One outstanding asynchronous call. It owns the framed params (the kernel
// may read them only when it consumes the SQE); the caller owns the result
// buffer given to submit_call, which must stay put until completion.
struct AsyncCall {
  static constexpr size_t kParamsMax = 512;
  uint64_t user_data = 0;
  bool pending = false;
  abi::CapCqe cqe{};
  MutBytes result;
  alignas(8) uint8_t params[kParamsMax];
};

// Queues a CALL without waiting (no descriptors: nothing pinned for long).
Status submit_call(AsyncCall& c, uint32_t cap, uint64_t interface_id, uint16_t method_id,
                   const capnp::MessageBuilder& params, MutBytes result);
template <class Iface>
Status submit_call(AsyncCall& c, Cap<Iface> cap, uint16_t method_id, const capnp::MessageBuilder& params,
                   MutBytes result) {
  static_assert(Iface::kInterfaceId != 0, "a typed call needs a known interface");
  return submit_call(c, cap.id(), Iface::kInterfaceId, method_id, params, result);
}
// True once `c` completed: c.cqe is filled and c.pending cleared. Never blocks.
bool poll_call(AsyncCall& c);
// Blocks until one pending call in `calls` completes: its index. NotFound
// when none is pending; cap_enter's refusal as its own Err otherwise.
Result<uint32_t> wait_any(Span<AsyncCall* const> calls);
// Interprets a completed call like call_with_caps does.
Status finish_call(const AsyncCall& c, capnp::Response& resp, Span<abi::CapTransferRecord> out,
                   uint32_t* n_out);

// RELEASE one slot (best effort; a stale id is ignored).
void release_cap(uint32_t cap);
template <class Iface>
void release_cap(Cap<Iface> cap) {
  release_cap(cap.id());
}

}  // namespace capos::rt
