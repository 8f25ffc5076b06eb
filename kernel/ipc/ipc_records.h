// The IPC records' life cycle and the pieces of a delivery and a
// completion, shared by the generic operations (ipc.cpp) and the endpoint
// fast path's fused CALL and RETURN + RECV (fast_path.cpp), so both run
// the same code for each step: what one changes, the other gets. Inline:
// each runs once or twice per round trip (perf.budgets endpoint_rtt).
// Portable: built against ipc_env.h like ipc.cpp.
#pragma once

#include "kernel/debug/measure.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/ipc_env.h"
#include "kernel/mm/heap.h"
#include "lib/abi/layout.h"

namespace capos::ipc::records {

using abi::CapCqe;
using abi::EndpointMessageHeader;

// Records are owned by the process they serve (the caller for IpcCall,
// the server for IpcRecv), charged to its KernelBytes when first
// allocated, linked on its list of records (`all`) until it is reaped and
// recycled through its own cache. A cache hit is inline (one per CALL);
// the first allocation is out of line.
template <class T, class All> [[gnu::noinline]] Result<T*> alloc_fresh(Process& owner, All& all)
    CAPOS_REQUIRES(g_kernel_lock) {
  Reservation charge = CAPOS_TRY(owner.ledger().reserve(Res::KernelBytes, sizeof(T)));
  T* r = heap::make<T>();
  if (!r) return fail(Err::Overloaded);
  charge.commit();
  all.push_back(r);
  return r;
}
// The record cached_call would return, left where it is.
inline IpcCall* next_cached_call(ProcessIpc& pi) CAPOS_REQUIRES(g_kernel_lock) {
  return pi.spare_call ? pi.spare_call : pi.free_calls.front();
}
// A cached record: the process's spare (the one its last completion
// freed: the echo loop's next CALL takes it back without a list round
// trip), else the front of its cache; null when it has none.
inline IpcCall* cached_call(ProcessIpc& pi) CAPOS_REQUIRES(g_kernel_lock) {
  if (IpcCall* c = pi.spare_call) [[likely]] {
    pi.spare_call = nullptr;
    return c;
  }
  return pi.free_calls.pop_front();
}
inline Result<IpcCall*> alloc_call(Process& owner) CAPOS_REQUIRES(g_kernel_lock) {
  if (IpcCall* c = cached_call(owner.ipc())) [[likely]] return c;
  return alloc_fresh<IpcCall>(owner, owner.ipc().calls);
}
inline void free_params(IpcCall* c) {
  if (!c->params) return;
  heap::free(c->params);
  c->caller->ledger().release(Res::KernelBytes, c->params_user.len);
  c->params = nullptr;
}
// Back to the state every allocation path expects (IpcCall's "recycled"
// comment): not outstanding, no deferred owner (teardown reads both
// first), any transfer still prepared rolled back (after a commit or a
// rollback a TransferTxn is as a new one); the rest -- written by every
// path that reads them -- left as they are (a full reset was ~30 stores
// per call: perf.budgets endpoint_rtt). The host tests poison those
// (env::poison_recycled) so a stale read shows.
inline void recycle(IpcCall* c) {
  c->state = IpcCall::State::Free;
  c->owner = nullptr;
  if (c->xfer.count()) [[unlikely]] c->xfer.rollback();
  env::poison_recycled(c);
}
inline void free_call(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) {
  Process* owner = c->caller;
  if (!owner) __builtin_trap();  // every record has its owner until freed
  free_params(c);
  recycle(c);
  ProcessIpc& pi = owner->ipc();
  if (!pi.spare_call) pi.spare_call = c;
  else pi.free_calls.push_back(c);
}
inline Result<IpcRecv*> alloc_recv(Process& owner) CAPOS_REQUIRES(g_kernel_lock) {
  ProcessIpc& pi = owner.ipc();
  if (IpcRecv* r = pi.parked_recv) {
    pi.parked_recv = nullptr;
    return r;
  }
  if (IpcRecv* r = pi.free_recvs.pop_front()) [[likely]] return r;
  return alloc_fresh<IpcRecv>(owner, pi.recv_records);
}
// Not cleared: recv() sets every field of a record it takes (its ep_node
// is unlinked by the removal that freed it; its kbuf is offered to
// keep_again first). The first free record is parked for the server's
// next RECV, the rest go to the cache.
inline void free_recv(IpcRecv* r) CAPOS_REQUIRES(g_kernel_lock) {
  r->armed = false;
  ProcessIpc& pi = r->server->ipc();
  if (!pi.parked_recv) pi.parked_recv = r;
  else pi.free_recvs.push_back(r);
}

// Wakes the thread owning ring `slot` of `p` if it waits in cap_enter and
// is now satisfied.
inline void wake(Process* p, uint32_t slot, Wake how) CAPOS_REQUIRES(g_kernel_lock) {
  CAPOS_MEASURE_SCOPE(Wake);
  env::wake(*p, slot, how);
}

[[gnu::always_inline]] inline void post(Process* p, uint32_t slot, const CapCqe& cqe, Wake how) CAPOS_REQUIRES(g_kernel_lock) {
  CAPOS_MEASURE_SCOPE(Post);
  p->ring(slot).post_reserved(cqe);
  wake(p, slot, how);
}

// Finishes a caller's outstanding call with its CQE result: where a typed
// outcome becomes the ABI value (cqe_result), so the completion paths
// pass one register (perf.budgets: park_rtt, thread_spawn_join).
[[gnu::always_inline]] inline void complete_caller(IpcCall* c, int32_t result, uint32_t flags, uint32_t cap_count = 0,
                            Wake how = Wake::Front) CAPOS_REQUIRES(g_kernel_lock) {
  Process* caller = c->caller;
  CapCqe cqe{};
  cqe.user_data = c->user_data;
  cqe.result = result;
  cqe.flags = flags;
  cqe.cap_count = cap_count;
  if (c->state == IpcCall::State::Free) __builtin_trap();  // not outstanding: a double completion
  caller->ledger().release(Res::OutstandingCalls, 1);
  uint8_t slot = c->ring_slot;
  free_call(c);
  post(caller, slot, cqe, how);
}

// The first page of a checked buffer, kept with its translation
// (KeptBuffer). A walk-cache miss reads the tables without filling the
// cache: the message may not use this translation, and the cache's two
// entries are the ones the copies that follow need.
inline KeptBuffer keep(const AddressSpace& as, UserOut s) {
  uint64_t room = abi::PAGE_SIZE - (s.addr.raw() & (abi::PAGE_SIZE - 1));
  uint64_t len = s.len < room ? s.len : room;
  uint8_t* k = as.direct_quiet(s.first(len));
  return k ? KeptBuffer{k, len, as.generation(), s.addr.raw()} : KeptBuffer{};
}
// `b` becomes keep(as, s), answered from what `b` holds (what keep gave
// the same record earlier: a record never leaves its process, so it is
// the same address space) when that translates the same address and is
// still exact: the translation keep would find again. The echo loop's
// case: the same buffer every time (a RECV record's kbuf, a call record's
// kresult). In place: a hit stores one word.
inline void keep_again(const AddressSpace& as, UserOut s, KeptBuffer& b) {
  if (!b.k || b.va != s.addr.raw() || b.gen != as.generation() || !s.len) [[unlikely]] {
    b = keep(as, s);
    return;
  }
  uint64_t room = abi::PAGE_SIZE - (s.addr.raw() & (abi::PAGE_SIZE - 1));
  b.len = s.len < room ? s.len : room;
}
// The kernel address of a non-empty read span within one page (a CALL's
// params, a RETURN's reply), from `keep` when the span lies inside the
// span it kept and that is still exact; else translated now (direct) to
// the end of its page -- permissions are per page, so that succeeds
// exactly when the span's own translation would -- and kept. Null when the
// span is not translatable (then the checked copies decide).
inline const uint8_t* read_kept(const AddressSpace& as, UserIn s, KeptBuffer& keep) {
  uint64_t va = s.addr.raw();
  uint64_t gen = as.generation();
  if (keep.k && keep.gen == gen && va - keep.va < keep.len && s.len && s.len <= keep.len - (va - keep.va))
    return keep.k + (va - keep.va);
  if (!as.direct(s)) return nullptr;
  uint64_t room = abi::PAGE_SIZE - (va & (abi::PAGE_SIZE - 1));
  uint8_t* k = as.direct(UserIn(s.addr, room));
  if (!k) return nullptr;
  keep = KeptBuffer{k, room, gen, va};
  return k;
}
// Its first `need` bytes, when kept and still exact; else null.
inline uint8_t* kept(const KeptBuffer& b, const AddressSpace& as, uint64_t need) {
  return b.k && need <= b.len && as.generation() == b.gen ? b.k : nullptr;
}

// The header a delivery of `c` carries, `nx` transfer records behind its
// params. Built whole (every field, reserved zero) so the fused delivery
// stores it word by word into the receive page.
inline EndpointMessageHeader header_for(EndpointCore& core, const IpcCall* c, uint32_t nx) CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t ref[2];
  core.scoped_ref(c->session_id, ref);
  // Live unless the caller's session was created by a process that ended.
  uint32_t flags = c->caller && c->caller->session_live() ? abi::MSG_F_SESSION_LIVE : 0;
  return EndpointMessageHeader{c->call_id,   c->method_id, static_cast<uint16_t>(nx), c->interface_id,
                               static_cast<uint32_t>(c->params_user.len), flags, ref[0], ref[1],
                               core.epoch(),  0};
}
// header_for(core, c, nx) stored field by field at `dst` (a kernel
// mapping of the receive page, any alignment): no copy of it on the stack
// first (perf.budgets endpoint_rtt).
inline void store_header(uint8_t* dst, EndpointCore& core, const IpcCall* c, uint32_t nx) CAPOS_REQUIRES(g_kernel_lock) {
  // Each value converted to its field's own type first, so a record field
  // of another width cannot spill into the next header field.
#define CAPOS_STORE_FIELD(field, value)                                                      \
  do {                                                                                       \
    decltype(EndpointMessageHeader::field) v_ = (value);                                     \
    __builtin_memcpy_inline(dst + offsetof(EndpointMessageHeader, field), &v_, sizeof(v_)); \
  } while (0)
  uint64_t ref[2];
  core.scoped_ref(c->session_id, ref);
  uint32_t flags = c->caller && c->caller->session_live() ? abi::MSG_F_SESSION_LIVE : 0;
  CAPOS_STORE_FIELD(call_id, c->call_id);
  CAPOS_STORE_FIELD(method_id, c->method_id);
  CAPOS_STORE_FIELD(xfer_count, nx);
  CAPOS_STORE_FIELD(interface_id, c->interface_id);
  CAPOS_STORE_FIELD(params_len, c->params_user.len);
  CAPOS_STORE_FIELD(flags, flags);
  CAPOS_STORE_FIELD(scoped_ref_lo, ref[0]);
  CAPOS_STORE_FIELD(scoped_ref_hi, ref[1]);
  CAPOS_STORE_FIELD(session_epoch, core.epoch());
  CAPOS_STORE_FIELD(reserved, 0);
#undef CAPOS_STORE_FIELD
  static_assert(sizeof(EndpointMessageHeader) == 56, "every field stored above");
}
inline void fill_header(EndpointCore& core, const IpcCall* c, EndpointMessageHeader* h) CAPOS_REQUIRES(g_kernel_lock) {
  *h = header_for(core, c, 0);
}

// Marks a delivered call in flight on `server`. A call delivered from the
// queue also frees its params copy (free_params): a direct delivery had none.
inline void mark_inflight(IpcCall* c, Process& server) CAPOS_REQUIRES(g_kernel_lock) {
  c->state = IpcCall::State::InFlight;
  c->server = &server;
  server.ipc().serving.push_back(c);
}

}  // namespace capos::ipc::records
