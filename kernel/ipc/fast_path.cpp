// The endpoint fast path (fast_path.h). Each SQE is checked exactly as
// ProcessRingHandler::dispatch checks it (opcode, flags, reserved bytes,
// cap lookup, interface) before anything changes; a shape it does not
// take leaves the ring as it was. Once taken, the SQE is consumed and its
// completion posted or reserved in the order RingEngine::drain uses, and
// the IPC operation itself is the generic one. Portable: the host tests
// (tests/host/ipc) run it against the generic drain (ipc_env.h).
#include "kernel/ipc/fast_path.h"

#include "kernel/debug/measure.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/ipc_env.h"
#include "kernel/ring/ring_engine.h"
#include "lib/abi/ring.h"

namespace capos::ipc {

using namespace abi;

namespace {

// Gives the consumed SQE's result its CQ slot, as the generic handler
// does: pending reserves one, done or an error posts the CQE now.
void finish(RingEngine& ring, const CapSqe& sqe, const CapResult& r, CapCqe& cqe) CAPOS_REQUIRES(g_kernel_lock) {
  env::count_sqe(!r);
  if (r && r->is_pending()) {
    ring.reserve();
    return;
  }
  cqe.user_data = sqe.user_data;
  cqe.result = r ? static_cast<int32_t>(r->bytes()) : r.error().cqe_result();
  CAPOS_MEASURE_SEG(Post);
  ring.complete(cqe);
}

// A server may release caps a message brought before it answers (at most
// this many RELEASEs ahead of the RETURN).
constexpr uint32_t MAX_RELEASES = 2;

bool take_batch(Process& p, RingEngine& ring) CAPOS_REQUIRES(g_kernel_lock) {
  CapSqe s[MAX_RELEASES + 2];
  uint32_t n = ring.peek(s, MAX_RELEASES + 2, 1u << CAP_OP_CALL | 1u << CAP_OP_RETURN | 1u << CAP_OP_RELEASE);
  if (n == 1) {
    // A client's CALL on an endpoint client cap (not wrapped, not a kernel cap).
    const CapSqe& sqe = s[0];
    if (sqe.opcode != CAP_OP_CALL || sqe.flags || sqe.reserved0) return false;
    CAPOS_MEASURE_SEG(Lookup);
    auto slot = p.caps().lookup(sqe.cap_id);
    if (!slot || (sqe.interface_id && sqe.interface_id != (*slot)->interface_id)) return false;
    KObject* obj = (*slot)->object;
    if (!down_cast<ClientEndpoint>(obj)) return false;
    ring.take();
    CapCqe cqe{};
    finish(ring, sqe, call(p, obj, sqe), cqe);
    CAPOS_MEASURE_SEG(Enter);
    return true;
  }
  // A server's RELEASEs, RETURN and next RECV on the same owner cap.
  if (n < 2) return false;
  uint32_t nrel = n - 2;
  for (uint32_t i = 0; i < nrel; ++i)
    if (s[i].opcode != CAP_OP_RELEASE || s[i].flags) return false;
  const CapSqe& rs = s[nrel];
  const CapSqe& rv = s[nrel + 1];
  if (rs.opcode != CAP_OP_RETURN || (rs.flags & ~SQE_F_EXCEPTION) || rs.reserved0) return false;
  if (rv.opcode != CAP_OP_RECV || rv.flags || rv.reserved0 || rv.xfer_count || rv.cap_id != rs.cap_id) return false;
  for (uint32_t i = 0; i < nrel; ++i) {  // as ProcessRingHandler runs CAP_OP_RELEASE
    ring.take();
    CapCqe cqe{};
    auto r = p.caps().remove(s[i].cap_id);
    finish(ring, s[i], r ? CapResult(Completion::done()) : CapResult(fail(lookup_error(r.error()))), cqe);
  }
  ring.take();
  CapCqe cqe{};
  finish(ring, rs, ret(p, rs), cqe);
  // Looked up again, as the generic path would: a RELEASE or a RETURN
  // moving caps out may have emptied the slot.
  ring.take();
  CAPOS_MEASURE_SEG(Lookup);
  auto slot = p.caps().lookup(rv.cap_id);
  CapCqe rcqe{};
  finish(ring, rv, slot ? recv(p, (*slot)->object, rv, &rcqe) : CapResult(fail(lookup_error(slot.error()))), rcqe);
  CAPOS_MEASURE_SEG(Enter);
  return true;
}

}  // namespace

bool fast_path(Process& p, RingEngine& ring) {
  if (take_batch(p, ring)) return true;
  ring.fast_armed = false;  // re-armed by the next endpoint CALL or RECV
  return false;
}

}  // namespace capos::ipc
