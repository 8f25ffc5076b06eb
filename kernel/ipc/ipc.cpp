// CALL -> RECV -> RETURN. The fast path (a RECV already waiting) copies the
// params straight from the caller's address space into the server's
// buffer, posts the server's CQE and hands the CPU to the server; no
// allocation, no intermediate copy. Only a call that must queue (no RECV
// yet) is copied into a kernel buffer. Portable: the host tests
// (tests/host/ipc) build it against a model process (kernel/ipc/ipc_env.h).
#include "kernel/debug/measure.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/ipc_env.h"
#include "kernel/ipc/ipc_internal.h"
#include "kernel/ipc/ipc_records.h"
#include "kernel/mm/heap.h"
#include "kernel/ring/sqe_buffers.h"
#include "lib/abi/errors.h"
#include "lib/abi/layout.h"
#include "lib/core/cstring.h"

namespace capos::ipc {

using namespace abi;
using namespace records;

namespace {

// Gives `c` its call id; false when the endpoint has no in-flight room.
bool alloc_inflight(EndpointCore& core, IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) {
  c->call_id = core.inflight.insert(c);
  return c->call_id != 0;
}

// A user buffer that could not be used: a bad range is the user's
// mistake, a demand-zero page the machine had no memory for is not (the
// same classification as kernel-cap calls, kernel/ring/dispatch.cpp).
// Cold: the copy loops stay as they are.
[[gnu::cold]] CapError params_buffer_error(const AddressSpace& as, UserIn params) {
  static constexpr CapErrorInfo oom{CapErr::OVERLOADED, "no memory to back a demand-zero params page"};
  static constexpr CapErrorInfo bad{CapErr::INVALID_PARAMS_BUFFER, "params range unmapped or unreadable"};
  return CapError(as.why_unusable(params) == Err::OutOfMemory ? &oom : &bad);
}
[[gnu::cold]] CapError result_buffer_error(const AddressSpace& as, UserOut result) {
  static constexpr CapErrorInfo oom{CapErr::OVERLOADED, "no memory to back a demand-zero result page"};
  static constexpr CapErrorInfo bad{CapErr::INVALID_RESULT_BUFFER, "result range unmapped or unwritable"};
  return CapError(as.why_unusable(result) == Err::OutOfMemory ? &oom : &bad);
}

// Errors that belong to the call (the RECV may take another call).
bool caller_side_error(CapError e) {
  CapErr c = e.code();
  return c == CapErr::INVALID_PARAMS_BUFFER || c == CapErr::QUOTA_EXCEEDED || c == CapErr::OVERLOADED;
}

// Writes header + params into the server's receive buffer: the bytes
// written, or the error for the server's RECV (or, caller_side_error, for
// the call).
Result<uint32_t, CapError> write_delivery(EndpointCore& core, IpcCall* c, Process& server, UserOut buf,
                                          const KeptBuffer& kbuf = {}) CAPOS_REQUIRES(g_kernel_lock) {
  uint32_t nx = c->xfer.count();
  uint64_t params_len = c->params_user.len;
  uint64_t payload_end = sizeof(EndpointMessageHeader) + params_len;
  uint64_t need = payload_end + nx * sizeof(CapTransferRecord);
  if (need > buf.len) return CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "receive buffer smaller than the message");
  AddressSpace& sas = server.address_space();
  // Fast path: header, params and transfer records written straight into
  // the RECV's kept page (exact while the server's tables are unchanged),
  // the params read through the caller's translation; anything else is
  // checked and copied below. The caps are delivered first (all or none,
  // TransferTxn::deliver): nothing written after them can fail.
  if (uint8_t* k = c->params ? nullptr : kept(kbuf, sas, need)) {
    const uint8_t* src = params_len ? c->caller->address_space().direct(c->params_user) : k;
    if (src) {
      if (nx) {  // the caps move first (or nothing does): no write below can fail
        CAPOS_MEASURE_SEG(Xfer);
        CAPOS_TRY_STATUS(c->xfer.deliver(server.caps(), k + payload_end));
      }
      CAPOS_MEASURE_SEG(IpcCopy);
      store_header(k, core, c, nx);
      if (params_len) memcpy(k + sizeof(EndpointMessageHeader), src, params_len);
      CAPOS_MEASURE_SEG(Ipc);
      return static_cast<uint32_t>(need);
    }
  }
  // The server's buffer failing is the server's RECV's error, never the
  // call's (caller_side_error): no out-of-memory classification here.
  if (!sas.check_user(buf.first(need))) return CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "receive buffer unmapped or unwritable");
  if (nx) CAPOS_TRY_STATUS(c->xfer.reserve(server.caps()));  // receiver preflight
  EndpointMessageHeader h;
  {
    CAPOS_MEASURE_SCOPE(Header);
    fill_header(core, c, &h);
  }
  h.xfer_count = static_cast<uint16_t>(nx);
  UserOut dst = buf.sub(sizeof(h), params_len);
  CAPOS_MEASURE_SEG(IpcCopy);
  Status st = c->params ? sas.copy_to_user(dst, c->params)
                        : AddressSpace::copy_between(c->caller->address_space(), c->params_user, sas, dst);
  if (!st) {
    c->xfer.release_reservations();
    // The server's buffer was checked above; a direct copy fails on the caller's params.
    if (c->params) return CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "receive buffer unwritable");
    return fail(params_buffer_error(c->caller->address_space(), c->params_user));
  }
  if (!sas.copy_to_user(buf.first(sizeof(h)), &h)) {
    c->xfer.release_reservations();
    return CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "receive buffer unwritable");
  }
  if (nx) {  // commit: the capabilities move now, and cannot fail
    CAPOS_MEASURE_SEG(Xfer);
    CapTransferRecord rec[XFER_MAX];
    c->xfer.commit(rec);
    if (!sas.copy_to_user(buf.sub(payload_end, nx * sizeof(CapTransferRecord)), rec)) __builtin_trap();
  }
  CAPOS_MEASURE_SEG(Ipc);
  return static_cast<uint32_t>(need);
}

// A reply with result caps (reserved on the caller) written into the
// caller's result page kept at CALL: the reply, then the records of the
// caps, committed now. False, with nothing written, when the kept page
// does not hold it all or is stale; the checked copy then decides.
bool write_reply_kept(IpcCall* c, Process& server, UserIn reply, TransferTxn& xfer) {
  uint8_t* k = kept(c->kresult, c->caller->address_space(), reply.len + xfer.count() * sizeof(CapTransferRecord));
  const uint8_t* src = k && reply.len ? server.address_space().direct(reply) : k;
  if (!src) return false;
  CAPOS_MEASURE_SEG(IpcCopy);
  memcpy(k, src, reply.len);
  CAPOS_MEASURE_SEG(Xfer);
  xfer.commit_to(k + reply.len);
  CAPOS_MEASURE_SEG(Ipc);
  return true;
}

// Reads the SQE's transfer descriptors from user memory: through the
// walk cache's translation when they lie in one page (the usual few
// bytes on the caller's stack), else by the checked copy.
CapStatus read_descs(Process& p, const CapSqe& sqe, CapTransferDesc* out) {
  if (sqe.xfer_count > XFER_MAX) return CAPOS_CAP_FAIL(INVALID_TRANSFER, "more than XFER_MAX transfer descriptors");
  UserIn s = sqe_xfer_descs(sqe);
  if (const uint8_t* k = sqe.xfer_count == 1 ? p.address_space().direct(s) : nullptr) {
    __builtin_memcpy_inline(out, k, sizeof(CapTransferDesc));
    return {};
  }
  if (!p.address_space().copy_from_user(out, s)) return CAPOS_CAP_FAIL(INVALID_TRANSFER, "transfer descriptors unreadable");
  return {};
}

// Calls `caller` has queued (not yet delivered) at `core`.
uint32_t queued_by(Process& caller, const EndpointCore& core) CAPOS_REQUIRES(g_kernel_lock) {
  uint32_t n = 0;
  for (IpcCall* c = caller.ipc().calls.front(); c; c = caller.ipc().calls.next(c))
    n += c->state == IpcCall::State::Queued && c->core == &core;
  return n;
}

}  // namespace

CapResult call(Process& caller, KObject* target, const CapSqe& sqe) {
  CAPOS_MEASURE_SEG(Ipc);
  ClientEndpoint* client = down_cast<ClientEndpoint>(target);
  if (!client) return CAPOS_CAP_FAIL(INVALID_REQUEST, "CALL on an object that is neither a kernel cap nor an endpoint");
  EndpointCore& core = *client->core();
  // The SQE is validated in full before the endpoint's state matters.
  if (sqe.params_len > IPC_MESSAGE_MAX) return CAPOS_CAP_FAIL(INVALID_PARAMS_BUFFER, "params longer than IPC_MESSAGE_MAX");
  if (sqe.result_len > IPC_MESSAGE_MAX + XFER_MAX * sizeof(CapTransferRecord))
    return CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "result buffer longer than a reply can be");
  AddressSpace& as = caller.address_space();
  UserIn params = sqe_params(sqe);
  UserOut result = sqe_result(sqe);
  if (!as.check_user(params)) return fail(params_buffer_error(as, params));
  if (!as.check_user(result)) return fail(result_buffer_error(as, result));
  if (core.dead()) return CAPOS_CAP_FAIL(DISCONNECTED, "the endpoint's owner is gone");
  // Checked here, taken where the call is committed (delivered or queued):
  // nothing in between takes this ledger's OutstandingCalls.
  if (!caller.ledger().has_room(Res::OutstandingCalls, 1))
    return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "outstanding-call quota reached");
  auto rec = alloc_call(caller);
  if (!rec) return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "kernel-memory quota reached (call record)");
  IpcCall* c = *rec;
  c->caller = &caller;
  c->ring_slot = current_slot();
  c->core = &core;
  c->user_data = sqe.user_data;
  c->result = result;
  keep_again(as, result, c->kresult);  // the record's last translation, if still the same
  c->method_id = sqe.method_id;
  c->interface_id = core.interface_id();
  c->params_user = params;
  c->session_id = caller.session_id();
  if (sqe.xfer_count) {
    CAPOS_MEASURE_SCOPE(Xfer);
    CapTransferDesc descs[XFER_MAX];
    CapStatus r = read_descs(caller, sqe, descs);
    if (r)
      r = sqe.xfer_count == 1 ? c->xfer.prepare_one(caller.caps(), descs[0])
                              : c->xfer.prepare(caller.caps(), Span<const CapTransferDesc>(descs, sqe.xfer_count));
    if (!r) {
      free_call(c);
      return fail(r.error());
    }
  }

  // Fast path: hand the call to a waiting RECV.
  while (!core.recvs.empty() && !core.inflight.full()) {
    IpcRecv* r = core.recvs.front();
    Process& server = *r->server;
    alloc_inflight(core, c);
    auto n = write_delivery(core, c, server, r->buf, r->kbuf);
    if (!n && caller_side_error(n.error())) {  // bad params or no room for the caps: fail the call, keep the RECV
      core.inflight.remove(c->call_id);
      free_call(c);  // rolls the transfer back: the caller keeps its caps
      return fail(n.error());
    }
    core.recvs.remove(r);
    CapCqe cqe{};
    cqe.user_data = r->user_data;
    uint8_t server_slot = r->ring_slot;
    free_recv(r);
    cqe.result = cqe_result(n);
    if (!n) {  // the server's buffer is unusable: fail that RECV, try the next
      core.inflight.remove(c->call_id);
      post(&server, server_slot, cqe, Wake::Queue);
      continue;
    }
    mark_inflight(c, server);
    cqe.call_id = c->call_id;
    cqe.aux = c->method_id;
    caller.ledger().take_checked(Res::OutstandingCalls, 1);
    caller.ring(c->ring_slot).fast_armed = true;  // its next CALL may take the fast path (fast_path.h)
    post(&server, server_slot, cqe, Wake::Direct);  // the server runs next, switched to directly
    return Completion::pending();
  }

  // Slow path: queue a kernel copy of the params. Fairness (issue 22
  // finding 6): each caller may have at most ENDPOINT_QUEUE_PER_CALLER
  // calls queued here, so a flooding client exhausts its own share, never
  // the endpoint. No global bound: every queued call is charged to its
  // caller's OutstandingCalls. Counting walks the caller's own outstanding
  // list (bounded by that quota; the caller pays for the walk); nothing is
  // allocated and the fast path above is unaffected.
  if (queued_by(caller, core) >= ENDPOINT_QUEUE_PER_CALLER) {
    free_call(c);
    return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "this caller's share of the endpoint queue is full");
  }
  if (sqe.params_len) {  // the queued copy is charged to the caller
    auto pcharge = caller.ledger().reserve(Res::KernelBytes, sqe.params_len);
    if (!pcharge) {
      free_call(c);
      return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "kernel-memory quota reached (queued params)");
    }
    c->params = static_cast<uint8_t*>(heap::alloc(sqe.params_len));
    if (!c->params) {
      free_call(c);
      return CAPOS_CAP_FAIL(OVERLOADED, "kernel heap exhausted (queued params)");
    }
    pcharge->commit();
    if (!as.copy_from_user(c->params, params)) {
      free_call(c);
      return fail(params_buffer_error(as, params));
    }
  }
  c->state = IpcCall::State::Queued;
  core.queued.push_back(c);
  caller.ledger().take_checked(Res::OutstandingCalls, 1);
  return Completion::pending();
}

CapResult recv(Process& server, KObject* target, const CapSqe& sqe, CapCqe* cqe) {
  CAPOS_MEASURE_SEG(Ipc);
  EndpointOwner* owner = down_cast<EndpointOwner>(target);
  if (!owner) return CAPOS_CAP_FAIL(INVALID_REQUEST, "RECV on a cap that is not an endpoint's owner facet");
  EndpointCore& core = *owner->core();
  if (core.dead()) return CAPOS_CAP_FAIL(DISCONNECTED, "the endpoint is dead");
  if (sqe.result_len < sizeof(EndpointMessageHeader) || sqe.result_len > RECV_BUFFER_MAX)
    return CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "receive buffer smaller than a header or above RECV_BUFFER_MAX");
  UserOut buf = sqe_result(sqe);
  uint64_t gen = server.address_space().generation();  // of the check below
  if (!server.address_space().check_user(buf)) return fail(result_buffer_error(server.address_space(), buf));

  while (!core.queued.empty() && !core.inflight.full()) {
    IpcCall* c = core.queued.front();
    alloc_inflight(core, c);
    auto n = write_delivery(core, c, server, buf);
    if (!n) {
      core.inflight.remove(c->call_id);
      if (!caller_side_error(n.error())) return fail(n.error());  // the call stays queued for a usable buffer
      core.queued.remove(c);
      complete_caller(c, n.error().cqe_result(), 0);  // this call cannot be delivered; try the next one
      continue;
    }
    core.queued.remove(c);
    mark_inflight(c, server);
    free_params(c);  // delivered: the queued copy goes
    cqe->call_id = c->call_id;
    cqe->aux = c->method_id;
    return Completion::done(*n);
  }
  if (core.recvs.size() >= ENDPOINT_RECV_MAX) return CAPOS_CAP_FAIL(OVERLOADED, "ENDPOINT_RECV_MAX receives already wait");
  auto rec = alloc_recv(server);
  if (!rec) return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "kernel-memory quota reached (receive record)");
  IpcRecv* r = *rec;
  r->server = &server;
  r->ring_slot = current_slot();
  r->core = &core;
  r->user_data = sqe.user_data;
  r->buf = buf;
  keep_again(server.address_space(), buf, r->kbuf);  // the record's last translation, if still the same
  r->checked_gen = gen;
  r->checked = true;
  server.ring(r->ring_slot).fast_armed = true;  // its RETURN + RECV may take the fast path (fast_path.h)
  r->armed = true;
  core.recvs.push_back(r);
  return Completion::pending();
}

CapResult ret(Process& server, const CapSqe& sqe) {
  CAPOS_MEASURE_SEG(Lookup);
  auto slot = server.caps().lookup(sqe.cap_id);
  if (!slot) return fail(lookup_error(slot.error()));
  CAPOS_MEASURE_SEG(Ipc);
  KObject* target = (*slot)->object;
  EndpointOwner* owner = down_cast<EndpointOwner>(target);
  if (!owner) return CAPOS_CAP_FAIL(INVALID_REQUEST, "RETURN on a cap that is not an endpoint's owner facet");
  EndpointCore& core = *owner->core();
  IpcCall* c = core.inflight.find(sqe.call_id);
  // The caller died: the answer is accepted and discarded (the server
  // keeps any caps it meant to send).
  if (!c && core.inflight.take_orphan(sqe.call_id, &server)) return Completion::done();
  // Forged, stale or someone else's call id: rejected without side effects.
  if (!c || c->server != &server) return CAPOS_CAP_FAIL(INVALID_REQUEST, "no call with this id is in flight to this server");
  if (sqe.params_len > IPC_MESSAGE_MAX) return CAPOS_CAP_FAIL(INVALID_PARAMS_BUFFER, "reply longer than IPC_MESSAGE_MAX");
  UserIn reply = sqe_params(sqe);
  if (!server.address_space().check_user(reply)) return fail(params_buffer_error(server.address_space(), reply));
  bool exception = sqe.flags & SQE_F_EXCEPTION;
  if (exception && sqe.xfer_count) return CAPOS_CAP_FAIL(INVALID_TRANSFER, "an exception carries no capabilities");

  // Result caps: prepared on the server and preflighted on the caller
  // before anything else changes; failure leaves the call in flight.
  TransferTxn xfer;
  if (sqe.xfer_count) {
    CAPOS_MEASURE_SCOPE(Xfer);
    CapTransferDesc descs[XFER_MAX];
    CAPOS_TRY_STATUS(read_descs(server, sqe, descs));
    CAPOS_TRY_STATUS(xfer.prepare(server.caps(), Span<const CapTransferDesc>(descs, sqe.xfer_count)));
  }
  uint32_t nx = xfer.count();
  uint64_t records_bytes = uint64_t{nx} * sizeof(CapTransferRecord);
  // E.g. the caller's table is full: the server still holds its caps.
  if (c->caller && nx && reply.len + records_bytes <= c->result.len)
    CAPOS_TRY_STATUS(xfer.reserve(c->caller->caps()));

  core.inflight.remove(sqe.call_id);
  server.ipc().serving.remove(c);
  Result<uint32_t, CapError> result = sqe.params_len;
  uint32_t flags = exception ? CQE_F_EXCEPTION : 0;
  AddressSpace& cas = c->caller->address_space();
  // Fast path: the reply copied into the caller's result page kept at
  // CALL (exact while its tables are unchanged) from the server's own
  // translation of the reply.
  uint8_t* kdst = nx || !reply.len ? nullptr : kept(c->kresult, cas, reply.len);
  const uint8_t* ksrc = kdst ? server.address_space().direct(reply) : nullptr;
  if (reply.len + records_bytes > c->result.len) {
    if (exception) result = CAPOS_CAP_FAIL(APPLICATION_EXCEPTION_TRUNCATED, "the exception did not fit the result buffer");
    else result = CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "the reply did not fit the caller's result buffer");
  } else if (ksrc) {
    CAPOS_MEASURE_SEG(IpcCopy);
    memcpy(kdst, ksrc, reply.len);
    if (exception) result = CAPOS_CAP_FAIL(APPLICATION_EXCEPTION, "the server answered with an exception");
  } else if (nx && write_reply_kept(c, server, reply, xfer)) {  // (an exception carries no caps)
    flags |= CQE_F_CAPS;
  } else if (CAPOS_MEASURE_SEG(IpcCopy),
             !cas.check_user(c->result.first(reply.len + records_bytes)) ||
             !AddressSpace::copy_between(server.address_space(), reply, cas, c->result)) {
    // The caller unmapped its buffer (or its page could not be backed).
    result = fail(result_buffer_error(cas, c->result.first(reply.len + records_bytes)));
  } else {
    if (exception) result = CAPOS_CAP_FAIL(APPLICATION_EXCEPTION, "the server answered with an exception");
    if (nx) {
      CAPOS_MEASURE_SEG(Xfer);
      CapTransferRecord rec[XFER_MAX];
      xfer.commit(rec);
      if (!cas.copy_to_user(c->result.sub(reply.len, records_bytes), rec)) __builtin_trap();
      flags |= CQE_F_CAPS;
    }
  }
  CAPOS_MEASURE_SEG(Ipc);
  // If delivery failed, `xfer` rolls back on scope exit: the server keeps its caps.
  // The caller runs next, switched to directly when this server blocks.
  complete_caller(c, cqe_result(result), flags, nx && (flags & CQE_F_CAPS) ? nx : 0, Wake::Direct);
  return Completion::done();
}

Result<IpcCall*> defer_op(Process& caller, uint64_t user_data, DeferredOwner& owner, uint64_t owner_data) {
  auto charge = caller.ledger().reserve(Res::OutstandingCalls, 1);
  if (!charge) return fail(Err::Overloaded);
  IpcCall* c = CAPOS_TRY(alloc_call(caller));
  c->caller = &caller;
  c->ring_slot = current_slot();
  c->user_data = user_data;
  c->core = nullptr;  // completed by a kernel object, not an endpoint
  c->result = UserOut();  // defer_kernel_call names one
  c->owner = &owner;
  c->owner_data = owner_data;
  c->state = IpcCall::State::InFlight;  // no endpoint: completed by a kernel object
  charge->commit();
  return c;
}

Result<IpcCall*> defer_kernel_call(const CallContext& ctx, DeferredOwner& owner, uint64_t owner_data) {
  IpcCall* c = CAPOS_TRY(defer_op(ctx.caller, ctx.user_data, owner, owner_data));
  c->result = ctx.result;
  return c;
}

void complete_op(IpcCall* c, uint32_t count) { complete_caller(c, static_cast<int32_t>(count), 0); }
void fail_op(IpcCall* c, CapError error) { complete_caller(c, error.cqe_result(), 0); }

void complete_deferred(IpcCall* c, Bytes payload, bool exception) {
  const AddressSpace& as = c->caller->address_space();
  Result<uint32_t, CapError> result = static_cast<uint32_t>(payload.size());
  uint32_t flags = 0;
  if (payload.size() > c->result.len) {
    if (exception) result = CAPOS_CAP_FAIL(APPLICATION_EXCEPTION_TRUNCATED, "the exception did not fit the result buffer");
    else result = CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "the result did not fit the result buffer");
  } else if (!as.copy_to_user(c->result.first(payload.size()), payload.data())) {
    result = fail(result_buffer_error(as, c->result.first(payload.size())));
  } else if (exception) {
    result = CAPOS_CAP_FAIL(APPLICATION_EXCEPTION, "the kernel object answered with an exception");
    flags = CQE_F_EXCEPTION;
  }
  complete_caller(c, cqe_result(result), flags);
}

void fail_deferred(IpcCall* c, CapError error) { complete_caller(c, error.cqe_result(), 0); }

void fail_everything(EndpointCore& core) {
  core.inflight.clear_orphans(nullptr);
  while (IpcCall* c = core.queued.pop_front())
    complete_caller(c, CAPOS_CAP_ERROR(DISCONNECTED, "the endpoint died with the call queued").cqe_result(), 0);
  while (IpcRecv* r = core.recvs.pop_front()) {
    CapCqe cqe{};
    cqe.user_data = r->user_data;
    cqe.result = static_cast<int32_t>(CapErr::DISCONNECTED);
    Process* server = r->server;
    uint8_t slot = r->ring_slot;
    free_recv(r);
    post(server, slot, cqe, Wake::Queue);
  }
  core.inflight.for_each([&](IpcCall* c, uint32_t call_id) {
    g_kernel_lock.assert_held();  // the analysis does not look into lambdas
    core.inflight.remove(call_id);
    c->server->ipc().serving.remove(c);
    complete_caller(c, CAPOS_CAP_ERROR(DISCONNECTED, "the endpoint died with the call in flight").cqe_result(), 0);
  });
}

namespace {

// Cancels p's own calls and RECVs that `pick` selects: queued calls
// vanish, in-flight ones are orphaned (the server's RETURN is accepted and
// discarded), deferred kernel calls are forgotten by their owner; each
// gives back its CQ reservation.
template <class Pick> void cancel_own(Process& p, Pick&& pick) CAPOS_REQUIRES(g_kernel_lock) {
  ProcessIpc& pi = p.ipc();
  for (IpcCall* c = pi.calls.front(); c; c = pi.calls.next(c)) {
    if (c->state != IpcCall::State::Free && pick(c->ring_slot)) {
      p.ledger().release(Res::OutstandingCalls, 1);
      p.ring(c->ring_slot).drop_reservation();
      if (c->state == IpcCall::State::Queued) {
        c->core->queued.remove(c);
      } else if (c->owner) {  // a deferred kernel call: its owner forgets it now
        c->owner->cancel(c);
      } else {  // delivered: the server's RETURN will be discarded; the record goes now
        c->core->inflight.orphan(c->call_id, c->server);
        c->server->ipc().serving.remove(c);
      }
      free_call(c);  // stays on pi.calls, Free
    }
  }
  for (IpcRecv* r = pi.recv_records.front(); r; r = pi.recv_records.next(r)) {
    if (r->armed && pick(r->ring_slot)) {
      r->core->recvs.remove(r);
      p.ring(r->ring_slot).drop_reservation();
      free_recv(r);  // stays on pi.recv_records, not armed
    }
  }
}

}  // namespace

void process_exiting(Process& p) {
  cancel_own(p, [](uint32_t) { return true; });
  // Calls it was serving: their callers learn the server is gone.
  ProcessIpc& pi = p.ipc();
  while (IpcCall* c = pi.serving.front()) {
    pi.serving.remove(c);
    c->core->inflight.remove(c->call_id);
    complete_caller(c, CAPOS_CAP_ERROR(DISCONNECTED, "the server exited with the call in flight").cqe_result(), 0);
  }
}

void thread_exiting(Process& p, uint32_t slot) {
  cancel_own(p, [slot](uint32_t s) { return s == slot; });
}

uint8_t current_slot() { return env::current_slot(); }

void process_reaped(Process& p) {
  ProcessIpc& pi = p.ipc();
  // Every record is free by now (process_exiting ended its calls and
  // RECVs): emptied out of the caches, then destroyed from the lists
  // that hold them all.
  while (cached_call(pi)) {
  }
  pi.parked_recv = nullptr;
  while (pi.free_recvs.pop_front()) {
  }
  while (IpcCall* c = pi.calls.pop_front()) {
    if (c->state != IpcCall::State::Free) __builtin_trap();  // still outstanding: a teardown bug
    heap::destroy(c);
    p.ledger().release(Res::KernelBytes, sizeof(IpcCall));
  }
  while (IpcRecv* r = pi.recv_records.pop_front()) {
    if (r->armed) __builtin_trap();
    heap::destroy(r);
    p.ledger().release(Res::KernelBytes, sizeof(IpcRecv));
  }
}

}  // namespace capos::ipc
