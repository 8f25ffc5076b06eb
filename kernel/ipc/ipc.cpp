// CALL -> RECV -> RETURN. The fast path (a RECV already waiting) copies the
// params straight from the caller's address space into the server's
// buffer, posts the server's CQE and hands the CPU to the server; no
// allocation, no intermediate copy. Only a call that must queue (no RECV
// yet) is copied into a kernel buffer.
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/debug/measure.h"
#include "kernel/dev/hwrng.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/ipc_internal.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "lib/abi/errors.h"
#include "lib/core/cstring.h"

namespace capos::ipc {

using namespace abi;

namespace {

// Records are owned by the process they serve (the caller for IpcCall,
// the server for IpcRecv), charged to its KernelBytes when first
// allocated and recycled through its own cache.
template <class T, class Cache> Result<T*> alloc_record(Process& owner, Cache& cache) {
  if (T* r = cache.pop_front()) return r;
  Reservation charge = CAPOS_TRY(owner.ledger().reserve(Res::KernelBytes, sizeof(T)));
  T* r = heap::make<T>();
  if (!r) return fail(Err::Overloaded);
  charge.commit();
  return r;
}
Result<IpcCall*> alloc_call(Process& owner) CAPOS_REQUIRES(g_kernel_lock) {
  return alloc_record<IpcCall>(owner, owner.ipc().free_calls);
}
void free_params(IpcCall* c) {
  if (!c->params) return;
  heap::free(c->params);
  c->caller->ledger().release(Res::KernelBytes, c->params_len);
  c->params = nullptr;
}
void free_call(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) {
  Process* owner = c->caller;
  if (!owner) __builtin_trap();  // every record has its owner until freed
  free_params(c);
  c->~IpcCall();  // rolls back any transfer still prepared
  new (c) IpcCall;  // default-init: no zeroing of the transfer storage
  owner->ipc().free_calls.push_back(c);
}
Result<IpcRecv*> alloc_recv(Process& owner) CAPOS_REQUIRES(g_kernel_lock) {
  return alloc_record<IpcRecv>(owner, owner.ipc().free_recvs);
}
void free_recv(IpcRecv* r) CAPOS_REQUIRES(g_kernel_lock) {
  Process* owner = r->server;
  *r = IpcRecv{};
  owner->ipc().free_recvs.push_back(r);
}

// Wakes the thread owning ring `slot` of `p` if it waits in cap_enter and
// is now satisfied.
void wake(Process* p, uint32_t slot, bool handoff) CAPOS_REQUIRES(g_kernel_lock) {
  CAPOS_MEASURE_SCOPE(Wake);
  Thread* t = p->thread_in(slot);
  if (!t || !sched::cap_enter_satisfied(t)) return;
  if (handoff) sched::make_runnable_front(t); else sched::make_runnable(t);
}

void post(Process* p, uint32_t slot, const CapCqe& cqe, bool handoff) CAPOS_REQUIRES(g_kernel_lock) {
  CAPOS_MEASURE_SCOPE(Post);
  p->ring(slot).post_reserved(cqe);
  wake(p, slot, handoff);
}

// Finishes a caller's outstanding call with `result` (error or size).
void complete_caller(IpcCall* c, int32_t result, uint32_t flags, uint32_t cap_count = 0) CAPOS_REQUIRES(g_kernel_lock) {
  Process* caller = c->caller;
  CapCqe cqe{};
  cqe.user_data = c->user_data;
  cqe.result = result;
  cqe.flags = flags;
  cqe.cap_count = cap_count;
  caller->ipc().outstanding.remove(c);
  caller->ledger().release(Res::OutstandingCalls, 1);
  uint8_t slot = c->ring_slot;
  free_call(c);
  post(caller, slot, cqe, true);
}

// Gives `c` its call id; false when the endpoint has no in-flight room.
bool alloc_inflight(EndpointCore& core, IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) {
  c->call_id = core.inflight.insert(c);
  return c->call_id != 0;
}

void fill_header(EndpointCore& core, const IpcCall* c, EndpointMessageHeader* h) CAPOS_REQUIRES(g_kernel_lock) {
  *h = EndpointMessageHeader{};
  h->call_id = c->call_id;
  h->method_id = c->method_id;
  h->interface_id = c->interface_id;
  h->params_len = c->params_len;
  // Live unless the caller's session was created by a process that ended.
  h->flags = c->caller && c->caller->session_live() ? MSG_F_SESSION_LIVE : 0;
  uint64_t out[2];
  core.scoped_ref(c->session_id, out);
  h->scoped_ref_lo = out[0];
  h->scoped_ref_hi = out[1];
  h->session_epoch = core.epoch();
}

// Writes header + params into the server's receive buffer. Returns the
// bytes written or a CAP_ERR for the server's RECV.
// Errors that belong to the call (the RECV may take another call).
bool caller_side_error(int32_t e) {
  return e == CAP_ERR_INVALID_PARAMS_BUFFER || e == CAP_ERR_QUOTA_EXCEEDED || e == CAP_ERR_OVERLOADED;
}

int32_t write_delivery(EndpointCore& core, IpcCall* c, Process& server, uint64_t buf, uint32_t buf_len)
    CAPOS_REQUIRES(g_kernel_lock) {
  uint32_t nx = c->xfer.count();
  uint64_t payload_end = sizeof(EndpointMessageHeader) + uint64_t{c->params_len};
  uint64_t need = payload_end + nx * sizeof(CapTransferRecord);
  if (need > buf_len) return CAP_ERR_INVALID_RESULT_BUFFER;
  AddressSpace& sas = server.address_space();
  if (!sas.check_user(buf, need, true)) return CAP_ERR_INVALID_RESULT_BUFFER;
  if (nx) {
    int32_t r = c->xfer.reserve(server.caps());  // receiver preflight
    if (r) return r;
  }
  EndpointMessageHeader h;
  {
    CAPOS_MEASURE_SCOPE(Header);
    fill_header(core, c, &h);
  }
  h.xfer_count = static_cast<uint16_t>(nx);
  uint64_t dst = buf + sizeof(h);
  CAPOS_MEASURE_SEG(IpcCopy);
  Status st = c->params ? sas.copy_to_user(dst, c->params, c->params_len)
                        : AddressSpace::copy_between(c->caller->address_space(), c->params_addr, sas, dst,
                                                     c->params_len);
  if (!st) {
    c->xfer.release_reservations();
    return c->params ? CAP_ERR_INVALID_RESULT_BUFFER : CAP_ERR_INVALID_PARAMS_BUFFER;
  }
  if (!sas.copy_to_user(buf, &h, sizeof(h))) {
    c->xfer.release_reservations();
    return CAP_ERR_INVALID_RESULT_BUFFER;
  }
  if (nx) {  // commit: the capabilities move now, and cannot fail
    CAPOS_MEASURE_SEG(Xfer);
    CapTransferRecord rec[XFER_MAX];
    c->xfer.commit(rec);
    if (!sas.copy_to_user(buf + payload_end, rec, nx * sizeof(CapTransferRecord))) __builtin_trap();
  }
  CAPOS_MEASURE_SEG(Ipc);
  return static_cast<int32_t>(need);
}

// Reads `count` descriptors from user memory.
int32_t read_descs(Process& p, uint64_t addr, uint16_t count, CapTransferDesc* out) {
  if (count > XFER_MAX) return CAP_ERR_INVALID_TRANSFER;
  if (!p.address_space().copy_from_user(out, addr, count * sizeof(CapTransferDesc))) return CAP_ERR_INVALID_TRANSFER;
  return 0;
}

// Marks a delivered call in flight on `server`.
void mark_inflight(IpcCall* c, Process& server) CAPOS_REQUIRES(g_kernel_lock) {
  c->state = IpcCall::State::InFlight;
  c->server = &server;
  server.ipc().serving.push_back(c);
  free_params(c);
}

// Calls `caller` has queued (not yet delivered) at `core`.
uint32_t queued_by(Process& caller, const EndpointCore& core) CAPOS_REQUIRES(g_kernel_lock) {
  uint32_t n = 0;
  for (IpcCall* c = caller.ipc().outstanding.front(); c; c = caller.ipc().outstanding.next(c))
    n += c->state == IpcCall::State::Queued && c->core == &core;
  return n;
}

}  // namespace

int32_t call(Process& caller, KObject* target, const CapSqe& sqe) {
  CAPOS_MEASURE_SEG(Ipc);
  ClientEndpoint* client = down_cast<ClientEndpoint>(target);
  if (!client) return CAP_ERR_INVALID_REQUEST;
  EndpointCore& core = *client->core();
  // The SQE is validated in full before the endpoint's state matters.
  if (sqe.params_len > IPC_MESSAGE_MAX) return CAP_ERR_INVALID_PARAMS_BUFFER;
  if (sqe.result_len > IPC_MESSAGE_MAX + XFER_MAX * sizeof(CapTransferRecord)) return CAP_ERR_INVALID_RESULT_BUFFER;
  AddressSpace& as = caller.address_space();
  if (!as.check_user(sqe.params_addr, sqe.params_len, false)) return CAP_ERR_INVALID_PARAMS_BUFFER;
  if (!as.check_user(sqe.result_addr, sqe.result_len, true)) return CAP_ERR_INVALID_RESULT_BUFFER;
  if (core.dead()) return CAP_ERR_DISCONNECTED;
  auto charge = caller.ledger().reserve(Res::OutstandingCalls, 1);
  if (!charge) return CAP_ERR_QUOTA_EXCEEDED;
  auto rec = alloc_call(caller);
  if (!rec) return CAP_ERR_QUOTA_EXCEEDED;  // the caller's kernel-memory quota
  IpcCall* c = *rec;
  c->caller = &caller;
  c->ring_slot = current_slot();
  c->core = &core;
  c->user_data = sqe.user_data;
  c->result_addr = sqe.result_addr;
  c->result_len = sqe.result_len;
  c->method_id = sqe.method_id;
  c->interface_id = core.interface_id();
  c->params_addr = sqe.params_addr;
  c->params_len = sqe.params_len;
  c->session_id = caller.session_id();
  if (sqe.xfer_count) {
    CAPOS_MEASURE_SCOPE(Xfer);
    CapTransferDesc descs[XFER_MAX];
    int32_t r = read_descs(caller, sqe.xfer_addr, sqe.xfer_count, descs);
    if (!r) r = c->xfer.prepare(caller.caps(), Span<const CapTransferDesc>(descs, sqe.xfer_count));
    if (r) {
      free_call(c);
      return r;
    }
  }

  // Fast path: hand the call to a waiting RECV.
  while (!core.recvs.empty() && !core.inflight.full()) {
    IpcRecv* r = core.recvs.front();
    Process& server = *r->server;
    alloc_inflight(core, c);
    int32_t n = write_delivery(core, c, server, r->buf_addr, r->buf_len);
    if (caller_side_error(n)) {  // bad params or no room for the caps: fail the call, keep the RECV
      core.inflight.remove(c->call_id);
      free_call(c);  // rolls the transfer back: the caller keeps its caps
      return n;
    }
    core.recvs.remove(r);
    server.ipc().recvs.remove(r);
    CapCqe cqe{};
    cqe.user_data = r->user_data;
    uint8_t server_slot = r->ring_slot;
    free_recv(r);
    if (n < 0) {  // the server's buffer is unusable: fail that RECV, try the next
      core.inflight.remove(c->call_id);
      cqe.result = n;
      post(&server, server_slot, cqe, false);
      continue;
    }
    mark_inflight(c, server);
    cqe.result = n;
    cqe.call_id = c->call_id;
    cqe.aux = c->method_id;
    charge->commit();
    caller.ipc().outstanding.push_back(c);
    post(&server, server_slot, cqe, true);  // direct handoff: the server runs next
    return PENDING;
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
    return CAP_ERR_QUOTA_EXCEEDED;
  }
  if (sqe.params_len) {  // the queued copy is charged to the caller
    auto pcharge = caller.ledger().reserve(Res::KernelBytes, sqe.params_len);
    if (!pcharge) {
      free_call(c);
      return CAP_ERR_QUOTA_EXCEEDED;
    }
    c->params = static_cast<uint8_t*>(heap::alloc(sqe.params_len));
    if (!c->params) {
      free_call(c);
      return CAP_ERR_OVERLOADED;
    }
    pcharge->commit();
    if (!as.copy_from_user(c->params, sqe.params_addr, sqe.params_len)) {
      free_call(c);
      return CAP_ERR_INVALID_PARAMS_BUFFER;
    }
  }
  c->state = IpcCall::State::Queued;
  core.queued.push_back(c);
  charge->commit();
  caller.ipc().outstanding.push_back(c);
  return PENDING;
}

int32_t recv(Process& server, KObject* target, const CapSqe& sqe, CapCqe* cqe) {
  CAPOS_MEASURE_SEG(Ipc);
  EndpointOwner* owner = down_cast<EndpointOwner>(target);
  if (!owner) return CAP_ERR_INVALID_REQUEST;
  EndpointCore& core = *owner->core();
  if (core.dead()) return CAP_ERR_DISCONNECTED;
  if (sqe.result_len < sizeof(EndpointMessageHeader) || sqe.result_len > RECV_BUFFER_MAX)
    return CAP_ERR_INVALID_RESULT_BUFFER;
  if (!server.address_space().check_user(sqe.result_addr, sqe.result_len, true)) return CAP_ERR_INVALID_RESULT_BUFFER;

  while (!core.queued.empty() && !core.inflight.full()) {
    IpcCall* c = core.queued.front();
    alloc_inflight(core, c);
    int32_t n = write_delivery(core, c, server, sqe.result_addr, sqe.result_len);
    if (n < 0) {
      core.inflight.remove(c->call_id);
      if (!caller_side_error(n)) return n;  // the call stays queued for a RECV with a usable buffer
      core.queued.remove(c);
      complete_caller(c, n, 0);  // this call cannot be delivered; try the next one
      continue;
    }
    core.queued.remove(c);
    mark_inflight(c, server);
    cqe->call_id = c->call_id;
    cqe->aux = c->method_id;
    return n;
  }
  if (core.recvs.size() >= ENDPOINT_RECV_MAX) return CAP_ERR_OVERLOADED;
  auto rec = alloc_recv(server);
  if (!rec) return CAP_ERR_QUOTA_EXCEEDED;
  IpcRecv* r = *rec;
  r->server = &server;
  r->ring_slot = current_slot();
  r->core = &core;
  r->user_data = sqe.user_data;
  r->buf_addr = sqe.result_addr;
  r->buf_len = sqe.result_len;
  core.recvs.push_back(r);
  server.ipc().recvs.push_back(r);
  return PENDING;
}

int32_t ret(Process& server, const CapSqe& sqe) {
  CAPOS_MEASURE_SEG(Lookup);
  auto slot = server.caps().lookup(sqe.cap_id);
  if (!slot) return slot.error() == Err::Stale ? CAP_ERR_STALE_CAP : CAP_ERR_INVALID_CAP;
  CAPOS_MEASURE_SEG(Ipc);
  KObject* target = (*slot)->object;
  EndpointOwner* owner = down_cast<EndpointOwner>(target);
  if (!owner) return CAP_ERR_INVALID_REQUEST;
  EndpointCore& core = *owner->core();
  IpcCall* c = core.inflight.find(sqe.call_id);
  // The caller died: the answer is accepted and discarded (the server
  // keeps any caps it meant to send).
  if (!c && core.inflight.take_orphan(sqe.call_id, &server)) return 0;
  // Forged, stale or someone else's call id: rejected without side effects.
  if (!c || c->server != &server) return CAP_ERR_INVALID_REQUEST;
  if (sqe.params_len > IPC_MESSAGE_MAX) return CAP_ERR_INVALID_PARAMS_BUFFER;
  if (!server.address_space().check_user(sqe.params_addr, sqe.params_len, false))
    return CAP_ERR_INVALID_PARAMS_BUFFER;
  bool exception = sqe.flags & SQE_F_EXCEPTION;
  if (exception && sqe.xfer_count) return CAP_ERR_INVALID_TRANSFER;

  // Result caps: prepared on the server and preflighted on the caller
  // before anything else changes; failure leaves the call in flight.
  TransferTxn xfer;
  if (sqe.xfer_count) {
    CAPOS_MEASURE_SCOPE(Xfer);
    CapTransferDesc descs[XFER_MAX];
    int32_t r = read_descs(server, sqe.xfer_addr, sqe.xfer_count, descs);
    if (!r) r = xfer.prepare(server.caps(), Span<const CapTransferDesc>(descs, sqe.xfer_count));
    if (r) return r;
  }
  uint32_t nx = xfer.count();
  uint64_t records_bytes = uint64_t{nx} * sizeof(CapTransferRecord);
  if (c->caller && nx && sqe.params_len + records_bytes <= c->result_len) {
    int32_t r = xfer.reserve(c->caller->caps());
    if (r) return r;  // e.g. the caller's table is full: the server still holds its caps
  }

  core.inflight.remove(sqe.call_id);
  server.ipc().serving.remove(c);
  int32_t result;
  uint32_t flags = exception ? CQE_F_EXCEPTION : 0;
  AddressSpace& cas = c->caller->address_space();
  if (sqe.params_len + records_bytes > c->result_len) {
    result = exception ? CAP_ERR_APPLICATION_EXCEPTION_TRUNCATED : CAP_ERR_INVALID_RESULT_BUFFER;
  } else if (CAPOS_MEASURE_SEG(IpcCopy),
             !cas.check_user(c->result_addr, sqe.params_len + records_bytes, true) ||
             !AddressSpace::copy_between(server.address_space(), sqe.params_addr, cas, c->result_addr,
                                         sqe.params_len)) {
    result = CAP_ERR_INVALID_RESULT_BUFFER;  // the caller unmapped its buffer
  } else {
    result = exception ? CAP_ERR_APPLICATION_EXCEPTION : static_cast<int32_t>(sqe.params_len);
    if (nx) {
      CAPOS_MEASURE_SEG(Xfer);
      CapTransferRecord rec[XFER_MAX];
      xfer.commit(rec);
      if (!cas.copy_to_user(c->result_addr + sqe.params_len, rec, records_bytes)) __builtin_trap();
      flags |= CQE_F_CAPS;
    }
  }
  CAPOS_MEASURE_SEG(Ipc);
  // If delivery failed, `xfer` rolls back on scope exit: the server keeps its caps.
  complete_caller(c, result, flags, nx && (flags & CQE_F_CAPS) ? nx : 0);
  return 0;
}

Result<IpcCall*> defer_op(Process& caller, uint64_t user_data, DeferredOwner& owner, uint64_t owner_data) {
  auto charge = caller.ledger().reserve(Res::OutstandingCalls, 1);
  if (!charge) return fail(Err::Overloaded);
  IpcCall* c = CAPOS_TRY(alloc_call(caller));
  c->caller = &caller;
  c->ring_slot = current_slot();
  c->user_data = user_data;
  c->owner = &owner;
  c->owner_data = owner_data;
  c->state = IpcCall::State::InFlight;  // no endpoint: completed by a kernel object
  charge->commit();
  caller.ipc().outstanding.push_back(c);
  return c;
}

Result<IpcCall*> defer_kernel_call(const CallContext& ctx, DeferredOwner& owner, uint64_t owner_data) {
  IpcCall* c = CAPOS_TRY(defer_op(ctx.caller, ctx.user_data, owner, owner_data));
  c->result_addr = ctx.result_addr;
  c->result_len = ctx.result_len;
  return c;
}

void complete_op(IpcCall* c, int32_t result) { complete_caller(c, result, 0); }

void complete_deferred(IpcCall* c, Bytes payload, bool exception, int32_t result_error) {
  int32_t result = result_error;
  if (result == 0) {
    if (payload.size() > c->result_len)
      result = exception ? CAP_ERR_APPLICATION_EXCEPTION_TRUNCATED : CAP_ERR_INVALID_RESULT_BUFFER;
    else if (!c->caller->address_space().copy_to_user(c->result_addr, payload.data(), payload.size()))
      result = CAP_ERR_INVALID_RESULT_BUFFER;
    else
      result = exception ? CAP_ERR_APPLICATION_EXCEPTION : static_cast<int32_t>(payload.size());
  }
  complete_caller(c, result, exception && result == CAP_ERR_APPLICATION_EXCEPTION ? CQE_F_EXCEPTION : 0);
}

void fail_everything(EndpointCore& core) {
  core.inflight.clear_orphans(nullptr);
  while (IpcCall* c = core.queued.pop_front()) complete_caller(c, CAP_ERR_DISCONNECTED, 0);
  while (IpcRecv* r = core.recvs.pop_front()) {
    r->server->ipc().recvs.remove(r);
    CapCqe cqe{};
    cqe.user_data = r->user_data;
    cqe.result = CAP_ERR_DISCONNECTED;
    Process* server = r->server;
    uint8_t slot = r->ring_slot;
    free_recv(r);
    post(server, slot, cqe, false);
  }
  core.inflight.for_each([&](IpcCall* c, uint32_t call_id) {
    g_kernel_lock.assert_held();  // the analysis does not look into lambdas
    core.inflight.remove(call_id);
    c->server->ipc().serving.remove(c);
    complete_caller(c, CAP_ERR_DISCONNECTED, 0);
  });
}

namespace {

// Cancels p's own calls and RECVs that `pick` selects: queued calls
// vanish, in-flight ones are orphaned (the server's RETURN is accepted and
// discarded), deferred kernel calls are forgotten by their owner; each
// gives back its CQ reservation.
template <class Pick> void cancel_own(Process& p, Pick&& pick) CAPOS_REQUIRES(g_kernel_lock) {
  ProcessIpc& pi = p.ipc();
  for (IpcCall* c = pi.outstanding.front(); c;) {
    IpcCall* next = pi.outstanding.next(c);
    if (pick(c->ring_slot)) {
      pi.outstanding.remove(c);
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
      free_call(c);
    }
    c = next;
  }
  for (IpcRecv* r = pi.recvs.front(); r;) {
    IpcRecv* next = pi.recvs.next(r);
    if (pick(r->ring_slot)) {
      pi.recvs.remove(r);
      r->core->recvs.remove(r);
      p.ring(r->ring_slot).drop_reservation();
      free_recv(r);
    }
    r = next;
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
    complete_caller(c, CAP_ERR_DISCONNECTED, 0);
  }
}

void thread_exiting(Process& p, uint32_t slot) {
  cancel_own(p, [slot](uint32_t s) { return s == slot; });
}

uint8_t current_slot() {
  Thread* t = sched::current();
  return t ? t->slot : 0;
}

void process_reaped(Process& p) {
  ProcessIpc& pi = p.ipc();
  while (IpcCall* c = pi.free_calls.pop_front()) {
    heap::destroy(c);
    p.ledger().release(Res::KernelBytes, sizeof(IpcCall));
  }
  while (IpcRecv* r = pi.free_recvs.pop_front()) {
    heap::destroy(r);
    p.ledger().release(Res::KernelBytes, sizeof(IpcRecv));
  }
}

}  // namespace capos::ipc
