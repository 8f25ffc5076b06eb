// Endpoint IPC. One EndpointCore per endpoint, reached through two facet
// objects: EndpointOwner (RECV, RETURN) and ClientEndpoint (CALL only) —
// attenuation by a narrower object, not by rights bits. When the last
// owner facet is released (e.g. the serving process dies) the core is
// dead: its epoch is bumped and every queued, in-flight and later call
// completes with CAP_ERR_DISCONNECTED.
#pragma once

#include <stdint.h>

#include "kernel/cap/kernel_cap.h"
#include "kernel/cap/object.h"
#include "kernel/cap/transfer.h"
#include "kernel/ipc/call_table.h"
#include "kernel/mm/user_addr.h"
#include "kernel/sched/kernel_lock.h"
#include "lib/abi/ipc.h"
#include "lib/abi/ring.h"
#include "lib/core/intrusive_list.h"
#include "schema/ipc.capnp.capos.h"

namespace capos {

class Process;
class EndpointCore;
struct IpcCall;

// A kernel object that completes deferred kernel-cap CALLs (Timer sleeps,
// Console reads, ProcessHandle waits). When the caller dies first, the
// kernel calls cancel() so the owner forgets the call at once; the call
// record is freed right after, so nothing is kept alive for a dead caller.
class DeferredOwner {
 public:
  virtual void cancel(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) = 0;

 protected:
  ~DeferredOwner() = default;
};

// A user buffer's kernel address, kept from when it was checked (the
// endpoint fast path; docs/ipc.md "Fast path"): its first `len` bytes,
// within one page, are at `k` while the owning address space's page-table
// generation is still `gen`. Empty (k null) when none was kept.
struct KeptBuffer {
  uint8_t* k = nullptr;
  uint64_t len = 0;
  uint64_t gen = 0;
  uint64_t va = 0;  // the user address `k` translates
};

// One CALL to an endpoint, from submission until its completion is posted.
// Records are recycled through the caller's own cache (ProcessIpc): the
// fast path never allocates. A recycled record (records::recycle) has
// state Free, no owner, no transfer and no params copy, and its list
// nodes unlinked; kresult is kept on purpose (a
// translation cache, checked before use); every other field is written by
// each allocation path that later reads it (ipc::call, the fused CALL,
// defer_op), so it is not reset.
struct IpcCall {
  enum class State : uint8_t { Free, Queued, InFlight };
  ListNode ep_node;      // EndpointCore::queued_, the deferred owner's list, or the caller's cache
  ListNode caller_node;  // ProcessIpc::calls of its caller, for the record's whole life
  ListNode server_node;  // server's delivered calls (in flight)
  State state = State::Free;  // Free: not outstanding (cached, or being filled in)
  Process* caller = nullptr;  // owns (and pays for) the record
  Process* server = nullptr;  // process that RECVed it
  EndpointCore* core = nullptr;
  uint64_t user_data = 0;
  UserOut result;  // the caller's result buffer
  // Its first page, kept at CALL for the RETURN; left across the record's
  // uses (records::keep_again tries it first at the next CALL).
  KeptBuffer kresult;
  uint16_t method_id = 0;
  uint64_t interface_id = 0;
  uint32_t call_id = 0;
  uint8_t* params = nullptr;  // kernel copy, only while queued (charged to the caller)
  UserIn params_user;  // the caller's params (direct delivery copies from here); len: the params' length
  uint64_t session_id = 0;
  TransferTxn xfer;  // caps riding with the params (prepared at CALL)
  // Deferred kernel-cap calls (core == nullptr): who completes it, and one
  // word of the owner's state (a Timer deadline, a Console read size).
  DeferredOwner* owner = nullptr;
  uint64_t owner_data = 0;
  uint64_t deadline = ~0ull;  // PARK: monotonic timeout (~0 = none)
  uint8_t ring_slot = 0;      // the calling thread's ring: where the completion goes
};

// A RECV waiting for a call.
struct IpcRecv {
  ListNode ep_node;      // EndpointCore::recvs while armed, or the server's cache
  ListNode server_node;  // ProcessIpc::recv_records of its server, for the record's whole life
  Process* server = nullptr;
  EndpointCore* core = nullptr;
  uint64_t user_data = 0;
  UserOut buf;  // the server's receive buffer
  KeptBuffer kbuf;  // its first page, kept at RECV for the delivery
  // buf passed check_user while the server's page-table generation was
  // checked_gen (valid with checked): a parked record's next RECV on the
  // same buffer at the same generation need not check it again.
  uint64_t checked_gen = 0;
  bool checked = false;
  bool armed = false;     // waiting on core's recvs (else cached or parked)
  uint8_t ring_slot = 0;  // the receiving thread's ring
};

class EndpointCore final : public KObject {
 public:
  static Ref<EndpointCore> create(uint64_t interface_id);
  bool dead() const { return dead_; }
  uint64_t epoch() const { return epoch_; }
  uint64_t interface_id() const { return interface_id_; }
  uint64_t scope() const { return scope_; }

  IntrusiveList<IpcCall, &IpcCall::ep_node> queued CAPOS_GUARDED_BY(g_kernel_lock);
  IntrusiveList<IpcRecv, &IpcRecv::ep_node> recvs CAPOS_GUARDED_BY(g_kernel_lock);
  // Delivered, awaiting RETURN.
  CallTable<IpcCall, abi::ENDPOINT_INFLIGHT_MAX> inflight CAPOS_GUARDED_BY(g_kernel_lock);

  // The scoped reference a delivery from `session_id` carries:
  // SipHash(scoped-ref key, scope, session). A pure function of values
  // fixed for this endpoint's life, so the last one is remembered (a
  // caller usually sends many messages in a row).
  // Inline when remembered (every delivery asks; perf.budgets endpoint_rtt).
  void scoped_ref(uint64_t session_id, uint64_t out[2]) CAPOS_REQUIRES(g_kernel_lock) {
    if (!ref_cached_ || ref_session_ != session_id) [[unlikely]] compute_ref(session_id);
    out[0] = ref_[0];
    out[1] = ref_[1];
  }

  void kill() CAPOS_REQUIRES(g_kernel_lock);  // last owner facet gone
  void owner_retained() { ++owners_; }
  void owner_released() CAPOS_REQUIRES(g_kernel_lock);

 private:
  EndpointCore() : KObject(ObjType::EndpointCore) {}
  void destroy() override;
  void compute_ref(uint64_t session_id) CAPOS_REQUIRES(g_kernel_lock);
  bool dead_ = false;
  uint64_t epoch_ = 1;
  uint64_t interface_id_ = 0;
  uint64_t scope_ = 0;
  uint32_t owners_ = 0;
  bool ref_cached_ CAPOS_GUARDED_BY(g_kernel_lock) = false;
  uint64_t ref_session_ CAPOS_GUARDED_BY(g_kernel_lock) = 0;
  uint64_t ref_[2] CAPOS_GUARDED_BY(g_kernel_lock) = {};
};

// The owner facet: RECV and RETURN are ring operations on it (ipc::recv,
// ipc::ret); a CALL on it invokes the Endpoint management methods
// (kernel/objects/endpoint_cap.cpp), never reaching the server.
class EndpointOwner final : public KernelCap, public schema::wire::Endpoint::Server {
 public:
  static bool holds_type(ObjType t) { return t == ObjType::Endpoint; }
  static Ref<EndpointOwner> create(Ref<EndpointCore> core);
  EndpointCore* core() const { return core_.get(); }
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status info(schema::wire::Endpoint::InfoParams::Reader, schema::wire::Endpoint::InfoResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status mintClient(schema::wire::Endpoint::MintClientParams::Reader,
                    schema::wire::Endpoint::MintClientResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  explicit EndpointOwner(Ref<EndpointCore> c) : KernelCap(ObjType::Endpoint), core_(move(c)) {}
  void destroy() override;
  Ref<EndpointCore> core_;
};

class ClientEndpoint final : public KObject {
 public:
  static bool holds_type(ObjType t) { return t == ObjType::ClientEndpoint; }
  static Ref<ClientEndpoint> create(Ref<EndpointCore> core);
  EndpointCore* core() const { return core_.get(); }

 private:
  explicit ClientEndpoint(Ref<EndpointCore> c) : KObject(ObjType::ClientEndpoint), core_(move(c)) {}
  void destroy() override;
  Ref<EndpointCore> core_;
};

// Per-process IPC bookkeeping (embedded in Process). Call and receive
// records are the process's own: allocated on its behalf (charged to its
// KernelBytes), recycled through its caches so steady-state IPC never
// touches the heap, and freed when it exits (ipc::process_reaped).
struct ProcessIpc {
  // Every call and receive record the process owns, linked when first
  // allocated and unlinked only when it is reaped: a CALL, a completion,
  // an armed or delivered RECV change a record's state, never these links
  // (perf.budgets endpoint_rtt). Teardown walks them for the records that
  // are outstanding (state not Free) or armed. Their length is bounded by
  // the most records the process ever had in use at once (its
  // OutstandingCalls quota, ENDPOINT_RECV_MAX per endpoint).
  IntrusiveList<IpcCall, &IpcCall::caller_node> calls CAPOS_GUARDED_BY(g_kernel_lock);
  IntrusiveList<IpcRecv, &IpcRecv::server_node> recv_records CAPOS_GUARDED_BY(g_kernel_lock);
  // Delivered calls it serves (in flight, awaiting its RETURN); usually
  // one, held in the slot.
  IntrusiveList<IpcCall, &IpcCall::server_node, false> serving CAPOS_GUARDED_BY(g_kernel_lock);
  IntrusiveList<IpcCall, &IpcCall::ep_node> free_calls CAPOS_GUARDED_BY(g_kernel_lock);
  IntrusiveList<IpcRecv, &IpcRecv::ep_node> free_recvs CAPOS_GUARDED_BY(g_kernel_lock);
  // The call record the last completion freed, kept out of free_calls for
  // this process's next CALL (the echo loop's): no free-list round trip.
  IpcCall* spare_call CAPOS_GUARDED_BY(g_kernel_lock) = nullptr;
  // The RECV record a CALL just consumed, parked for the server's next RECV
  // (the echo loop's RETURN+RECV): no free-list round trip.
  IpcRecv* parked_recv CAPOS_GUARDED_BY(g_kernel_lock) = nullptr;
  // The read translations the fast path keeps (records::read_kept): this
  // process's last params page as a caller and last reply page as a server.
  KeptBuffer last_kparams CAPOS_GUARDED_BY(g_kernel_lock);
  KeptBuffer last_kreply CAPOS_GUARDED_BY(g_kernel_lock);
  // ... and the page of its last CALL's single transfer descriptor.
  KeptBuffer last_kdescs CAPOS_GUARDED_BY(g_kernel_lock);

  // Calls outstanding (queued, in flight or deferred) and RECVs armed:
  // walks (tests, teardown accounting).
  uint32_t outstanding_calls() const CAPOS_REQUIRES(g_kernel_lock) {
    uint32_t n = 0;
    for (IpcCall* c = calls.front(); c; c = calls.next(c)) n += c->state != IpcCall::State::Free;
    return n;
  }
  uint32_t armed_recvs() const CAPOS_REQUIRES(g_kernel_lock) {
    uint32_t n = 0;
    for (IpcRecv* r = recv_records.front(); r; r = recv_records.next(r)) n += r->armed;
    return n;
  }
};

namespace ipc {

// How a completion wakes the thread waiting for it (env::wake).
enum class Wake : uint8_t {
  Queue,   // the run queue, by virtual runtime
  Front,   // the front of the run queue: runs next (a deferred completion)
  Direct,  // endpoint CALL/RETURN: runs next on this CPU, by a direct switch
           // when the running thread blocks in the same cap_enter (sched::handoff)
};

// Ring entry points: Done (the CQE result), Pending (the completion is
// posted later into the CQ slot the ring reserved) or the CapError.
CapResult call(Process& caller, KObject* target, const abi::CapSqe& sqe) CAPOS_REQUIRES(g_kernel_lock);
CapResult recv(Process& server, KObject* target, const abi::CapSqe& sqe, abi::CapCqe* cqe)
    CAPOS_REQUIRES(g_kernel_lock);
CapResult ret(Process& server, const abi::CapSqe& sqe) CAPOS_REQUIRES(g_kernel_lock);
// Process death: cancels its calls (in-flight ones become orphans: the
// record is freed, the server's RETURN is discarded), fails calls it was
// serving, drops its RECVs.
void process_exiting(Process& p) CAPOS_REQUIRES(g_kernel_lock);
// One thread of a live process ends: its own calls and RECVs go as they
// would at process death (nothing is left to post into its ring); calls
// it was serving stay with the process (any thread may RETURN them).
void thread_exiting(Process& p, uint32_t slot) CAPOS_REQUIRES(g_kernel_lock);
// After its caps are gone: frees the process's cached records.
void process_reaped(Process& p) CAPOS_REQUIRES(g_kernel_lock);

// The ring slot of the thread running the current kernel entry.
uint8_t current_slot();

// Deferred kernel-cap calls (e.g. ProcessHandle.wait): the CALL stays
// outstanding (charged to the caller) until complete_deferred(). If the
// caller dies first, the owner's cancel() runs and the record is freed.
// Fails with Overloaded at the caller's outstanding-call quota.
Result<IpcCall*> defer_kernel_call(const CallContext& ctx, DeferredOwner& owner, uint64_t owner_data = 0)
    CAPOS_REQUIRES(g_kernel_lock);
// A deferred ring operation without a CALL (PARK): same record and
// charges, completed by complete_op with a bare count or by fail_op.
Result<IpcCall*> defer_op(Process& caller, uint64_t user_data, DeferredOwner& owner, uint64_t owner_data)
    CAPOS_REQUIRES(g_kernel_lock);
void complete_op(IpcCall* c, uint32_t count) CAPOS_REQUIRES(g_kernel_lock);
void fail_op(IpcCall* c, CapError error) CAPOS_REQUIRES(g_kernel_lock);
// `payload` is the framed result message (or a CapException with
// `exception`).
void complete_deferred(IpcCall* c, Bytes payload, bool exception) CAPOS_REQUIRES(g_kernel_lock);
// Completes the deferred call with a transport error instead.
void fail_deferred(IpcCall* c, CapError error) CAPOS_REQUIRES(g_kernel_lock);

}  // namespace ipc

}  // namespace capos
