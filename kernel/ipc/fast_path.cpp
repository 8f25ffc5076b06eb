// The endpoint fast path (fast_path.h). Each SQE is checked exactly as
// ProcessRingHandler::dispatch checks it (opcode, flags, reserved bytes,
// cap lookup, interface) before anything changes; a shape it does not
// take leaves the ring as it was. Once taken, the SQE is consumed and its
// completion posted or reserved in the order RingEngine::drain uses, and
// the IPC operation itself is the generic one. Portable: the host tests
// (tests/host/ipc) run it against the generic drain (ipc_env.h).
#include "kernel/ipc/fast_path.h"

#include <stddef.h>

#include "kernel/debug/measure.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/ipc_env.h"
#include "kernel/ipc/ipc_records.h"
#include "kernel/ring/ring_engine.h"
#include "lib/abi/layout.h"
#include "lib/abi/ring.h"

namespace capos::ipc {

using namespace abi;
using namespace records;

namespace {

// One field of an SQE in the shared page, read once (userspace may be
// writing it: the kernel acts only on the value it read).
template <class T> T ld(const T& field) { return __atomic_load_n(&field, __ATOMIC_RELAXED); }
// Two adjacent fields read in one load (still once each): opcode | flags
// << 8, and xfer_count | reserved0 << 16 -- one compare tests an opcode
// with no flags, one test that a batch's RETURN and RECV carry no caps and
// nothing reserved.
using LoadU16 = uint16_t __attribute__((may_alias));
using LoadU32 = uint32_t __attribute__((may_alias));
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
static_assert(offsetof(CapSqe, opcode) == 0 && offsetof(CapSqe, flags) == 1);
static_assert(offsetof(CapSqe, reserved0) == offsetof(CapSqe, xfer_count) + 2 && offsetof(CapSqe, xfer_count) % 4 == 0);
uint32_t ld_op_flags(const CapSqe& s) { return __atomic_load_n(reinterpret_cast<const LoadU16*>(&s.opcode), __ATOMIC_RELAXED); }
uint32_t ld_xfer_res(const CapSqe& s) {
  return __atomic_load_n(reinterpret_cast<const LoadU32*>(&s.xfer_count), __ATOMIC_RELAXED);
}

// ---- Fused CALL -----------------------------------------------------------
// A CALL (with or without caps) to an endpoint whose server waits in
// RECV, with the server's receive page and the caller's params page
// translated: the whole of ipc::call's delivery branch in one pass over
// values read once, the header, params and transfer records written in
// the kept receive page. Every check ipc::call makes before it changes
// anything is made first; when one does not pass (or anything is unusual:
// no RECV waiting, no cached record, a buffer whose page is not present,
// a message longer than the kept page) nothing has changed and the copying
// path runs the generic call, which answers it. The transfer's own
// failures (bad descriptors; no room in the server's table) come after
// the record is taken, as in ipc::call, and end the CALL the same way.
// Returns true when the CALL is done.
// (Its opcode and flags are tested by fast_path.)
bool fused_call(Process& p, RingEngine& ring) CAPOS_REQUIRES(g_kernel_lock) {
  const CapSqe& s = ring.pending_sqe(0);
  uint32_t xr = ld_xfer_res(s);
  uint32_t nx = xr & 0xFFFF;
  if ((xr >> 16) || nx > XFER_MAX) return false;  // reserved0 set, or too many caps
  CAPOS_MEASURE_SEG(Lookup);
  auto slot = p.caps().lookup(ld(s.cap_id));
  if (!slot) return false;
  CAPOS_MEASURE_SEG(Ipc);
  uint64_t iface = ld(s.interface_id);
  if (iface && iface != (*slot)->interface_id) return false;
  ClientEndpoint* client = down_cast<ClientEndpoint>((*slot)->object);
  if (!client) return false;
  EndpointCore& core = *client->core();
  uint32_t params_len = ld(s.params_len);
  uint32_t result_len = ld(s.result_len);
  if (params_len > IPC_MESSAGE_MAX || result_len > IPC_MESSAGE_MAX + XFER_MAX * sizeof(CapTransferRecord)) return false;
  if (core.dead() || core.recvs.empty() || core.inflight.full()) return false;
  ProcessIpc& pi = p.ipc();
  IpcCall* c = next_cached_call(pi);
  if (!c || !p.ledger().has_room(Res::OutstandingCalls, 1)) return false;
  IpcRecv* r = core.recvs.front();
  Process& server = *r->server;
  uint64_t payload_end = sizeof(EndpointMessageHeader) + params_len;
  uint64_t need = payload_end + nx * sizeof(CapTransferRecord);
  if (need > r->buf.len) return false;
  uint8_t* dst = kept(r->kbuf, server.address_space(), need);
  if (!dst) return false;
  AddressSpace& as = p.address_space();
  UserIn params(UserAddr(ld(s.params_addr)), params_len);
  UserOut result(UserAddr(ld(s.result_addr)), result_len);
  // A one-page span translates (direct) exactly when check_user passes it
  // (both resolve the page and test the same flags); an empty span is
  // still checked, as ipc::call checks it.
  const uint8_t* src = params_len ? read_kept(as, params, pi.last_kparams) : nullptr;
  if (params_len ? !src : !as.check_user(params)) return false;
  // The cached record's kresult refreshed (a cache either way).
  keep_again(as, result, c->kresult);
  if (!(c->kresult.k && result.len <= c->kresult.len) && !as.check_user(result)) return false;

  // Committed: ipc::call's delivery branch, step for step.
  ring.take();
  cached_call(pi);  // c, taken
  c->caller = &p;
  c->ring_slot = env::current_slot();
  c->core = &core;
  uint64_t user_data = ld(s.user_data);
  c->user_data = user_data;
  c->result = result;
  c->method_id = ld(s.method_id);
  c->interface_id = core.interface_id();
  c->params_user = params;
  c->session_id = p.session_id();
  CapStatus st;
  if (nx) {  // prepared on the caller, as ipc::call prepares them
    CAPOS_MEASURE_SEG(Xfer);
    CapTransferDesc descs[XFER_MAX];
    UserIn ds(UserAddr(ld(s.xfer_addr)), nx * sizeof(CapTransferDesc));
    // As ipc.cpp read_descs (one descriptor through its translation), the
    // translation kept while the page-table generation is unchanged.
    const uint8_t* kd = nx == 1 ? read_kept(as, ds, pi.last_kdescs) : nullptr;
    if (kd) memcpy(&descs[0], kd, sizeof(CapTransferDesc));
    if (!kd && !as.copy_from_user(descs, ds))
      st = CAPOS_CAP_FAIL(INVALID_TRANSFER, "transfer descriptors unreadable");
    else
      st = nx == 1 ? c->xfer.prepare_one(p.caps(), descs[0])
                   : c->xfer.prepare(p.caps(), Span<const CapTransferDesc>(descs, nx));
    if (!st) free_call(c);  // nothing stays prepared
    CAPOS_MEASURE_SEG(Ipc);
  }
  if (st) {
    c->call_id = core.inflight.insert(c);  // not full: checked above
    // The caps move first, all or none (TransferTxn::deliver, as
    // write_delivery): their records land behind the params, and nothing
    // written after them can fail. A failure belongs to the call (the RECV
    // stays).
    if (nx) {
      CAPOS_MEASURE_SEG(Xfer);
      st = c->xfer.deliver(server.caps(), dst + payload_end);
      CAPOS_MEASURE_SEG(Ipc);
    }
    if (!st) {
      core.inflight.remove(c->call_id);
      free_call(c);  // rolls the transfer back: the caller keeps its caps
    }
  }
  if (!st) {  // as the generic handler answers a failed CALL
    env::count_sqe(true);
    CapCqe cqe{};
    cqe.user_data = user_data;
    cqe.result = st.error().cqe_result();
    CAPOS_MEASURE_SEG(Post);
    ring.complete(cqe);
    CAPOS_MEASURE_SEG(Enter);
    return true;
  }
  {
    CAPOS_MEASURE_SEG(IpcCopy);
    store_header(dst, core, c, nx);
    if (params_len) memcpy(dst + sizeof(EndpointMessageHeader), src, params_len);
    CAPOS_MEASURE_SEG(Ipc);
  }
  core.recvs.remove(r);
  CapCqe cqe{};
  cqe.user_data = r->user_data;
  uint8_t server_slot = r->ring_slot;
  free_recv(r);
  cqe.result = static_cast<int32_t>(need);
  mark_inflight(c, server);
  cqe.call_id = c->call_id;
  cqe.aux = c->method_id;
  p.ledger().take_checked(Res::OutstandingCalls, 1);
  ring.fast_armed = true;  // = p.ring(c->ring_slot): fast_path runs on the current thread's ring
  post(&server, server_slot, cqe, Wake::Direct);  // the server runs next, switched to directly
  env::count_sqe(false);
  env::note_fused();
  ring.reserve();
  CAPOS_MEASURE_SEG(Enter);
  return true;
}

// ---- Fused RETURN + RECV ---------------------------------------------------
// The fields of the batch's RETURN and RECV, read once each.
struct ReplyRecv {
  uint32_t cap_id, call_id, reply_len, buf_len;
  uint64_t reply_addr, buf_addr, ret_ud, recv_ud;
};

// ipc::ret's delivery for a reply without caps or exception into the
// caller's kept result page, from the server's translated reply page;
// false (nothing changed) for anything else.
bool fused_return(Process& p, RingEngine& ring, EndpointCore& core, const ReplyRecv& b) CAPOS_REQUIRES(g_kernel_lock) {
  IpcCall* c = core.inflight.find(b.call_id);
  if (!c || c->server != &p) return false;  // orphans and errors: ipc::ret
  if (b.reply_len > IPC_MESSAGE_MAX || !b.reply_len || b.reply_len > c->result.len) return false;
  uint8_t* kdst = kept(c->kresult, c->caller->address_space(), b.reply_len);
  if (!kdst) return false;
  // Translated exactly when check_user passes it (fused_call).
  const uint8_t* ksrc = read_kept(p.address_space(), UserIn(UserAddr(b.reply_addr), b.reply_len), p.ipc().last_kreply);
  if (!ksrc) return false;
  ring.take();
  core.inflight.remove(b.call_id);
  p.ipc().serving.remove(c);
  {
    CAPOS_MEASURE_SEG(IpcCopy);
    memcpy(kdst, ksrc, b.reply_len);
    CAPOS_MEASURE_SEG(Ipc);
  }
  // The caller runs next, switched to directly when this server blocks.
  complete_caller(c, static_cast<int32_t>(b.reply_len), 0, 0, Wake::Direct);
  env::count_sqe(false);
  env::note_fused();
  CapCqe cqe{};
  cqe.user_data = b.ret_ud;
  CAPOS_MEASURE_SEG(Post);
  ring.complete(cqe);
  CAPOS_MEASURE_SEG(Ipc);
  return true;
}

// ipc::recv when no call is queued: the parked (or a cached) record armed
// again, its kept translation taken again while exact; false (nothing
// changed) for anything else.
bool fused_recv(Process& p, RingEngine& ring, EndpointCore& core, const ReplyRecv& b) CAPOS_REQUIRES(g_kernel_lock) {
  if (core.dead() || b.buf_len < sizeof(EndpointMessageHeader) || b.buf_len > RECV_BUFFER_MAX) return false;
  if (!core.queued.empty() || core.recvs.size() >= ENDPOINT_RECV_MAX) return false;
  ProcessIpc& pi = p.ipc();
  if (!pi.parked_recv && pi.free_recvs.empty()) return false;
  UserOut buf(UserAddr(b.buf_addr), b.buf_len);
  AddressSpace& as = p.address_space();
  uint64_t gen = as.generation();
  // The parked record's buffer, checked at this generation, is still as valid.
  IpcRecv* parked = pi.parked_recv;
  bool checked = parked && parked->checked && parked->checked_gen == gen && parked->buf.addr == buf.addr &&
                 parked->buf.len == buf.len;
  if (!checked && !as.check_user(buf)) return false;
  ring.take();
  IpcRecv* r = *alloc_recv(p);  // parked or cached: cannot fail
  r->server = &p;
  r->ring_slot = env::current_slot();
  r->core = &core;
  r->user_data = b.recv_ud;
  // The parked record on the same buffer at the same generation, its page
  // kept at this generation: buffer, check and translation are what this
  // arm would set again (keep_again would answer from the same fields).
  if (!(checked && r->kbuf.k && r->kbuf.gen == gen)) {
    r->buf = buf;
    keep_again(as, buf, r->kbuf);
    r->checked_gen = gen;
    r->checked = true;
  }
  ring.fast_armed = true;  // = p.ring(r->ring_slot), as in fused_call
  r->armed = true;
  core.recvs.push_back(r);
  env::count_sqe(false);
  env::note_fused();
  ring.reserve();
  return true;
}


// Gives the consumed SQE's result its CQ slot, as the generic handler
// does: pending reserves one, done or an error posts the CQE now.
void finish(RingEngine& ring, uint64_t user_data, const CapResult& r, CapCqe cqe = {}) CAPOS_REQUIRES(g_kernel_lock) {
  env::count_sqe(!r);
  if (r && r->is_pending()) {
    ring.reserve();
    return;
  }
  cqe.user_data = user_data;
  cqe.result = r ? static_cast<int32_t>(r->bytes()) : r.error().cqe_result();
  CAPOS_MEASURE_SEG(Post);
  ring.complete(cqe);
}

// CAP_OP_RELEASE as ProcessRingHandler runs it (flags checked by the
// caller): the slot removed and its reference dropped in one step
// (CapTable::drop, no Ref handed back), a success's CQE posted in place; a
// refusal goes through finish() as the generic handler's.
[[gnu::always_inline]] inline void release(Process& p, RingEngine& ring, uint32_t cap_id, uint64_t user_data) CAPOS_REQUIRES(g_kernel_lock) {
  ring.take();
  if (auto r = p.caps().drop(cap_id); !r) [[unlikely]] {
    finish(ring, user_data, CapResult(fail(lookup_error(r.error()))));
    return;
  }
  env::count_sqe(false);
  CapCqe cqe{};
  cqe.user_data = user_data;
  cqe.result = 0;
  CAPOS_MEASURE_SEG(Post);
  ring.complete(cqe);
}

// A server may release caps a message brought before it answers (at most
// this many RELEASEs ahead of the RETURN).
constexpr uint32_t MAX_RELEASES = 2;

// The `n` pending SQEs (peek_count), copied and checked whole, each
// operation the generic one.
bool take_batch(Process& p, RingEngine& ring, uint32_t n) CAPOS_REQUIRES(g_kernel_lock) {
  CapSqe s[MAX_RELEASES + 2];
  ring.copy_pending(s, n);
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
    finish(ring, sqe.user_data, call(p, obj, sqe));
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
  for (uint32_t i = 0; i < nrel; ++i) release(p, ring, s[i].cap_id, s[i].user_data);
  ring.take();
  finish(ring, rs.user_data, ret(p, rs));
  // Looked up again, as the generic path would: a RELEASE or a RETURN
  // moving caps out may have emptied the slot.
  ring.take();
  CAPOS_MEASURE_SEG(Lookup);
  auto slot = p.caps().lookup(rv.cap_id);
  CapCqe rcqe{};
  finish(ring, rv.user_data, slot ? recv(p, (*slot)->object, rv, &rcqe) : CapResult(fail(lookup_error(slot.error()))), rcqe);
  CAPOS_MEASURE_SEG(Enter);
  return true;
}

// A server's RETURN + RECV on one owner cap (no RELEASEs, no caps, no
// exception): each runs fused when it can, else as the copying path runs
// it (the generic operation on an SQE rebuilt from the values read).
// False (nothing changed) when the batch is not of this shape.
bool fused_reply_recv(Process& p, RingEngine& ring, uint32_t n) CAPOS_REQUIRES(g_kernel_lock) {
  uint32_t nrel = n - 2;
  uint32_t rel_cap[MAX_RELEASES];
  uint64_t rel_ud[MAX_RELEASES];
  for (uint32_t i = 0; i < nrel; ++i) {
    const CapSqe& rl = ring.pending_sqe(i);
    if (ld_op_flags(rl) != CAP_OP_RELEASE) return false;  // or flags set
    rel_cap[i] = ld(rl.cap_id);
    rel_ud[i] = ld(rl.user_data);
  }
  const CapSqe& rs = ring.pending_sqe(nrel);
  const CapSqe& rv = ring.pending_sqe(nrel + 1);
  if (ld_op_flags(rs) != CAP_OP_RETURN || ld_op_flags(rv) != CAP_OP_RECV) return false;  // flags set: not fused
  if (ld_xfer_res(rs) | ld_xfer_res(rv)) return false;
  ReplyRecv b;
  b.cap_id = ld(rs.cap_id);
  if (ld(rv.cap_id) != b.cap_id) return false;
  b.call_id = ld(rs.call_id);
  b.reply_addr = ld(rs.params_addr);
  b.reply_len = ld(rs.params_len);
  b.ret_ud = ld(rs.user_data);
  b.buf_addr = ld(rv.result_addr);
  b.buf_len = ld(rv.result_len);
  b.recv_ud = ld(rv.user_data);
  for (uint32_t i = 0; i < nrel; ++i) release(p, ring, rel_cap[i], rel_ud[i]);
  // Looked up after the RELEASEs (they may have emptied the slot).
  CAPOS_MEASURE_SEG(Lookup);
  auto slot = p.caps().lookup(b.cap_id);
  CAPOS_MEASURE_SEG(Ipc);
  EndpointOwner* owner = slot ? down_cast<EndpointOwner>((*slot)->object) : nullptr;
  // One lookup serves both: a RETURN without caps leaves the table as it was.
  if (!owner || !fused_return(p, ring, *owner->core(), b)) {
    CapSqe sqe{};
    sqe.opcode = CAP_OP_RETURN;
    sqe.cap_id = b.cap_id;
    sqe.call_id = b.call_id;
    sqe.params_addr = b.reply_addr;
    sqe.params_len = b.reply_len;
    sqe.user_data = b.ret_ud;
    ring.take();
    finish(ring, sqe.user_data, ret(p, sqe));
  }
  if (!owner || !fused_recv(p, ring, *owner->core(), b)) {
    CapSqe sqe{};
    sqe.opcode = CAP_OP_RECV;
    sqe.cap_id = b.cap_id;
    sqe.result_addr = b.buf_addr;
    sqe.result_len = b.buf_len;
    sqe.user_data = b.recv_ud;
    ring.take();
    CapCqe cqe{};
    finish(ring, sqe.user_data, slot ? recv(p, (*slot)->object, sqe, &cqe) : CapResult(fail(lookup_error(slot.error()))), cqe);
  }
  CAPOS_MEASURE_SEG(Enter);
  return true;
}

}  // namespace

bool fast_path(Process& p, RingEngine& ring) {
  uint32_t n = ring.peek_count(MAX_RELEASES + 2, 1u << CAP_OP_CALL | 1u << CAP_OP_RETURN | 1u << CAP_OP_RELEASE);
  if (n == 1 && ld_op_flags(ring.pending_sqe(0)) == CAP_OP_CALL && fused_call(p, ring)) return true;  // no flags
  if (n >= 2 && fused_reply_recv(p, ring, n)) return true;
  if (n && take_batch(p, ring, n)) return true;
  ring.fast_armed = false;  // re-armed by the next endpoint CALL or RECV
  return false;
}

}  // namespace capos::ipc
