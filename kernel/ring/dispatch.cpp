#include "kernel/ring/dispatch.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/cap/kernel_cap.h"
#include "kernel/objects/revoker_cap.h"
#include "kernel/debug/measure.h"
#include "kernel/dev/timer.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/fast_path.h"
#include "kernel/objects/kernel_fast_call.h"
#include "kernel/proc/process.h"
#include "kernel/ring/sqe_buffers.h"
#include "kernel/sched/deferred.h"
#include "kernel/sched/scheduler.h"
#include "lib/abi/errors.h"
#include "lib/abi/ring.h"
#include "lib/abi/syscall.h"

namespace capos {

using namespace abi;

namespace {

// A user buffer that could not be used: a bad range is the caller's
// mistake; a demand-zero page the machine had no memory for is not.
template <UserAccess A>
[[gnu::cold]] CapError buffer_error(const AddressSpace& as, UserSpan<A> buf, const CapErrorInfo* bad_range) {
  static constexpr CapErrorInfo oom{CapErr::OVERLOADED, "no memory to back a demand-zero buffer page"};
  return CapError(as.why_unusable(buf) == Err::OutOfMemory ? &oom : bad_range);
}
constexpr CapErrorInfo kBadParams{CapErr::INVALID_PARAMS_BUFFER, "params range unmapped or unreadable"};
constexpr CapErrorInfo kBadResult{CapErr::INVALID_RESULT_BUFFER, "result range unmapped or unwritable"};

class ProcessRingHandler final : public SqeHandler {
 public:
  explicit ProcessRingHandler(Process& p) : p_(p) {}

  // Reached only from RingEngine::drain inside cap_enter, which holds the
  // kernel lock; the portable engine knows nothing of kernel locks.
  Outcome handle(const CapSqe& sqe, CapCqe* cqe) override CAPOS_NO_THREAD_SAFETY_ANALYSIS {
    CapResult r = dispatch(sqe, cqe);
    if (!r) {
      cqe->result = r.error().cqe_result();
      ++g_ring_stats.errors;
      return Outcome::Completed;
    }
    if (r->is_pending()) return Outcome::Pending;
    cqe->result = static_cast<int32_t>(r->bytes());
    return Outcome::Completed;
  }

 private:
  CapResult dispatch(const CapSqe& sqe, CapCqe* cqe) CAPOS_REQUIRES(g_kernel_lock) {
    if (sqe.opcode >= CAP_OP_COUNT) return CAPOS_CAP_FAIL(INVALID_REQUEST, "opcode outside the ABI");
    switch (static_cast<CapOp>(sqe.opcode)) {
      case CAP_OP_NOP:
        if (sqe.flags) return CAPOS_CAP_FAIL(INVALID_REQUEST, "NOP with flags");
        return Completion::done();
      case CAP_OP_CALL:
        return call(sqe, cqe);
      case CAP_OP_RELEASE: {
        if (sqe.flags) return CAPOS_CAP_FAIL(INVALID_REQUEST, "RELEASE with flags");
        auto r = p_.caps().remove(sqe.cap_id);
        if (!r) return fail(lookup_error(r.error()));
        return Completion::done();
      }
      case CAP_OP_RECV: {
        if (sqe.flags || sqe.reserved0 || sqe.xfer_count)
          return CAPOS_CAP_FAIL(INVALID_REQUEST, "RECV with flags, reserved bytes or transfer descriptors");
        CAPOS_MEASURE_SEG(Lookup);
        auto slot = p_.caps().lookup(sqe.cap_id);
        if (!slot) return fail(lookup_error(slot.error()));
        return ipc::recv(p_, (*slot)->object, sqe, cqe);
      }
      case CAP_OP_RETURN:
        if ((sqe.flags & ~SQE_F_EXCEPTION) || sqe.reserved0)
          return CAPOS_CAP_FAIL(INVALID_REQUEST, "RETURN with unknown flags or reserved bytes");
        return ipc::ret(p_, sqe);
      case CAP_OP_PARK:
        return p_.parks().park(p_, sqe);
      case CAP_OP_UNPARK:
        return p_.parks().unpark(p_, sqe);
      case CAP_OP_FINISH:
        return CAPOS_CAP_FAIL(UNSUPPORTED_OPCODE, "opcode reserved, not dispatched yet");
    }
    // Every opcode below CAP_OP_COUNT has its case (-Wswitch is an error).
    __builtin_unreachable();
  }

  CapResult call(const CapSqe& sqe, CapCqe* cqe) CAPOS_REQUIRES(g_kernel_lock) {
    if (sqe.flags & ~SQE_F_KNOWN || sqe.flags || sqe.reserved0)
      return CAPOS_CAP_FAIL(INVALID_REQUEST, "CALL with unknown flags or reserved bytes");
    CAPOS_MEASURE_SEG(Lookup);
    auto slot = p_.caps().lookup(sqe.cap_id);
    if (!slot) return fail(lookup_error(slot.error()));
    const CapSlot* s = *slot;
    if (sqe.interface_id && sqe.interface_id != s->interface_id)
      return CAPOS_CAP_FAIL(INTERFACE_MISMATCH, "the cap's interface is not the one the SQE names");
    KObject* obj = s->object;
    // A wrapped cap (Revoker.wrap) forwards to its target until revoked.
    if (Revocable* wrapped = down_cast<Revocable>(obj)) {
      obj = wrapped->target();
      if (!obj) return CAPOS_CAP_FAIL(DISCONNECTED, "the wrapped cap was revoked");
    }
    // Endpoint calls copy user-to-user; only kernel caps use the scratch.
    // (The owner facet is a kernel cap too: a CALL on it is Endpoint.info/mintClient.)
    KernelCap* kcap = down_cast<KernelCap>(obj);
    if (!kcap) return ipc::call(p_, obj, sqe);
    CAPOS_MEASURE_SEG(CopyIn);
    if (sqe.params_len > Process::SCRATCH_BYTES)
      return CAPOS_CAP_FAIL(INVALID_PARAMS_BUFFER, "params longer than a kernel call takes");
    if (sqe.result_len > Process::SCRATCH_BYTES)
      return CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "result buffer longer than a kernel call fills");
    AddressSpace& as = p_.address_space();
    if (auto st = p_.ensure_scratch(); !st) {
      if (st.error() == Err::Overloaded) return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "kernel-memory quota reached (scratch)");
      return CAPOS_CAP_FAIL(OVERLOADED, "no memory for the kernel-call scratch");
    }
    UserIn params = sqe_params(sqe);
    UserOut result = sqe_result(sqe);
    // No params message (params_len = 0) is the default struct: nothing to
    // copy, and params_addr is not looked at (docs/abi.md "Empty params").
    if (params.len && !as.copy_from_user(p_.params_scratch(), params))
      return fail(buffer_error(as, params, &kBadParams));
    // Validate the result buffer before any side effect happens.
    if (!as.check_user(result)) return fail(buffer_error(as, result, &kBadResult));
    // Caps sent beside the params: prepared now, taken by the handler; the
    // ones it does not take roll back when `xfer` goes out of scope.
    TransferTxn xfer;
    if (sqe.xfer_count) {
      CAPOS_MEASURE_SCOPE(Xfer);
      CapTransferDesc descs[XFER_MAX];
      if (sqe.xfer_count > XFER_MAX ||
          !as.copy_from_user(descs, sqe_xfer_descs(sqe)))
        return CAPOS_CAP_FAIL(INVALID_TRANSFER, "transfer descriptors too many or unreadable");
      CAPOS_TRY_STATUS(xfer.prepare(p_.caps(), Span<const CapTransferDesc>(descs, sqe.xfer_count)));
    }

    // Hold a reference: the method may release the caller's own slot.
    Ref<KObject> keep = Ref<KObject>::share(obj);
    CallContext ctx(p_, s->interface_id, sqe.method_id, Bytes(p_.params_scratch(), sqe.params_len),
                    MutBytes(p_.results_scratch(), Process::SCRATCH_BYTES));
    ctx.xfer = &xfer;
    ctx.result = result;
    ctx.user_data = sqe.user_data;
    CAPOS_MEASURE_SEG(Decode);  // dispatch_kernel_server moves on to body and encode
    kcap->invoke(ctx);
    CAPOS_MEASURE_SEG(CopyOut);
    if (ctx.deferred) return Completion::pending();  // completed later by the object
    if (ctx.result_size > ctx.results.size()) return CAPOS_CAP_FAIL(INVOKE_FAILED, "the method overran its reply buffer");
    uint32_t ncaps = ctx.exception ? 0 : static_cast<uint32_t>(ctx.result_caps.size());
    uint64_t need = ctx.result_size + uint64_t{ncaps} * sizeof(CapTransferRecord);
    if (need > sqe.result_len) {
      // Result caps are dropped with the reservations: nothing half-delivered.
      if (ctx.exception)
        return CAPOS_CAP_FAIL(APPLICATION_EXCEPTION_TRUNCATED, "the exception did not fit the result buffer");
      return CAPOS_CAP_FAIL(INVALID_RESULT_BUFFER, "the result did not fit the result buffer");
    }
    // A reply inside one page whose leaf is in the walk cache (the usual
    // small result: a stack or static buffer checked just above) is one
    // memcpy; anything else takes the checked copy.
    UserOut out = result.first(ctx.result_size);
    if (uint8_t* dst = out.len ? as.direct(out) : nullptr) memcpy(dst, p_.results_scratch(), out.len);
    else if (!as.copy_to_user(out, p_.results_scratch())) return fail(buffer_error(as, out, &kBadResult));
    if (ctx.exception) {
      cqe->flags |= CQE_F_EXCEPTION;
      return CAPOS_CAP_FAIL(APPLICATION_EXCEPTION, "the kernel object answered with an exception");
    }
    if (ncaps) {
      CapTransferRecord rec[CallContext::MAX_RESULT_CAPS];
      for (uint32_t i = 0; i < ncaps; ++i) {
        ResultCap& rc = ctx.result_caps[i];
        uint32_t served = served_by_process(rc.object.get()) ? XFER_REC_SERVED : 0;
        uint32_t id = p_.caps().commit(move(ctx.result_slots[i]), move(rc.object), rc.interface_id, rc.flags);
        rec[i] = CapTransferRecord{id, served, rc.interface_id};
      }
      if (!as.copy_to_user(result.sub(ctx.result_size, ncaps * sizeof(CapTransferRecord)), rec))
        __builtin_trap();  // the range was checked writable above
      cqe->cap_count = ncaps;
      cqe->flags |= CQE_F_CAPS;
    }
    return Completion::done(static_cast<uint32_t>(ctx.result_size));
  }

  Process& p_;
};

}  // namespace

RingStats g_ring_stats;
RingStats ring_stats() CAPOS_REQUIRES(g_kernel_lock) { return g_ring_stats; }

// Liveness: every pass checks the kill request and the deadline, and a
// pass that cannot make progress (nothing consumable: the SQ is empty or
// stalled on a full CQ) blocks as a waiter instead of spinning. The
// waiter is woken by a completion that satisfies it, by its deadline
// (deferred timer work) or by a kill request.
namespace {
// No clock read for the common wait without a deadline.
bool past(uint64_t deadline) { return deadline != ~0ull && timer::now_ns() >= deadline; }

// cap_enter's passes, from its first (`TryFast`: the endpoint fast path
// is asked first) or from a later one (the endpoint entry below has asked
// it already). Inline into its two callers.
template <bool TryFast>
[[gnu::always_inline]] inline Result<uint32_t, CapError> cap_enter_passes(Process& p, uint64_t min_complete,
                                                                          uint64_t timeout_ns, uint64_t deadline)
    CAPOS_REQUIRES(g_kernel_lock) {
  ProcessRingHandler handler(p);
  Thread* self = sched::current();
  RingEngine& ring = p.ring(self->slot);  // Ring v2: the calling thread's own ring
  // The first pass tries the endpoint fast path (a lone CALL, or RETURN +
  // RECV); whatever it does not take goes through the generic drain.
  bool first = TryFast;
  for (;;) {
    // A CALL or RETURN in this drain that satisfies a waiting thread
    // leaves it in self->switch_next (sched::handoff): switched to directly
    // if we block below, else flushed to the run queue's front first.
    RingEngine::DrainResult r;
    if (first && ring.fast_armed && ipc::fast_path(p, ring)) {
      r.consumed = 1;  // the fast path counted its SQEs itself (ipc env::count_sqe)
      r.ready = ring.cq_ready_bound();  // the fast path's fetch has just validated cq_head
    } else {
      r = ring.drain(handler);
      g_ring_stats.sqes += r.consumed;  // NOPs completed by the engine included
    }
    first = false;
    if (r.sq_corrupt) {
      sched::flush_handoff(self);
      return CAPOS_CAP_FAIL(RING_CORRUPT, "the SQ's indices are inconsistent");
    }
    uint32_t ready = r.ready;
    // Every return passes exit_to_user, which ends a killed process (or
    // a thread that asked to end).
    if (ready >= min_complete || timeout_ns == CAP_ENTER_NO_WAIT || p.kill_requested() || self->exit_requested ||
        past(deadline)) {
      sched::flush_handoff(self);
      return ready;
    }
    if (!r.cq_stalled && ring.sq_pending()) {  // a full batch consumed and more queued: be fair, continue
      sched::flush_handoff(self);
      sched::yield();
      continue;
    }
    // Block with IRQs off (the switch needs them off). No completion can
    // have been posted since `ready` was counted: posting takes the kernel
    // lock, which this thread holds, and interrupt handlers only record
    // work. Userspace can only lower the count, so it is not read again.
    arch::IrqGuard irq;
    if (past(deadline) || p.kill_requested()) continue;
    self->in_cap_enter = true;
    self->wait_min = static_cast<uint32_t>(min_complete);
    self->wait_deadline = deadline;
    // Only a wait with a deadline needs the tick: every completion posted
    // into a waiting thread's ring wakes it (ipc env::wake).
    if (deadline != ~0ull) sched::register_waiter(self);
    {
      CAPOS_MEASURE_SCOPE(Switch);
      if (Thread* next = self->switch_next) sched::block_and_switch(next);  // straight to the thread this drain handed off to
      else sched::block_current();
    }
    if (deadline != ~0ull) sched::unregister_waiter(self);
    self->in_cap_enter = false;
    // Woken satisfied (the usual case: a completion posted into this ring):
    // return without another drain pass. SQEs queued meanwhile wait for
    // the next cap_enter, as if they had been pushed after this one. (No
    // handoff is pending: only this thread's own drain leaves one.)
    if (uint32_t n = ring.cq_ready(); n >= min_complete) return n;
  }
}

// The passes after the first, for a wait without a deadline: where the
// endpoint entry (enter_endpoint) hands over whatever it does not finish.
[[gnu::noinline]] Result<uint32_t, CapError> cap_enter_after_fast(Process& p, uint64_t min_complete)
    CAPOS_REQUIRES(g_kernel_lock) {
  return cap_enter_passes<false>(p, min_complete, CAP_ENTER_FOREVER, ~0ull);
}

}  // namespace

Result<uint32_t, CapError> cap_enter(Process& p, uint64_t min_complete, uint64_t timeout_ns)
    CAPOS_REQUIRES(g_kernel_lock) {
  if (min_complete > CQ_ENTRIES) return CAPOS_CAP_FAIL(INVALID_REQUEST, "min_complete above CQ_ENTRIES");
  uint64_t deadline = ~0ull;
  if (timeout_ns != CAP_ENTER_FOREVER) {
    uint64_t now = timer::now_ns();
    deadline = add_overflow(now, timeout_ns, &deadline) ? ~0ull : deadline;
  }
  return cap_enter_passes<true>(p, min_complete, timeout_ns, deadline);
}

}  // namespace capos

namespace capos {
namespace {

// A lone CALL, out of line (other batches pay only the opcode test): the
// kernel-cap fast path first (kernel_fast_call.h); what it declines, and a
// call it did not satisfy, cap_enter does (its drain then finds nothing
// queued and waits as usual).
// (It finds the ring itself: a pointer to it passed from enter() is
// computed ahead of enter()'s branches, for every system call.)
[[gnu::noinline]] Result<uint32_t, CapError> enter_call(Process& p, const Thread& self, uint64_t min_complete,
                                                        uint64_t timeout_ns) CAPOS_REQUIRES(g_kernel_lock) {
  RingEngine& ring = p.ring(self.slot);
  if (min_complete <= CQ_ENTRIES && kernel_fast_call(p, ring)) {
    ++g_ring_stats.sqes;
    uint32_t ready = ring.cq_ready_bound();  // its fetch has just validated cq_head
    if (ready >= min_complete || timeout_ns == CAP_ENTER_NO_WAIT) return ready;
  }
  return cap_enter(p, min_complete, timeout_ns);
}

// enter() returns with interrupts disabled, for the syscall exit work: a
// path that ran with them enabled disables them on its way out; the endpoint
// entry's usual path resumes from its block with them disabled already.
[[gnu::always_inline]] inline Result<uint32_t, CapError> irqs_off(Result<uint32_t, CapError> r) {
  arch::cli();
  return r;
}

// The endpoint entry: cap_enter's first pass on a ring the endpoint fast
// path is armed on, for the usual endpoint wait (no deadline), without the
// generic loop around it. It does what that pass does -- the fast path, the
// count its fetch has just validated, the return, kill, exit and fairness
// tests, the block (straight to the thread the fast path handed off to) and,
// once woken, the validated count -- in the same order with the same
// effects, and hands anything else to the generic passes where cap_enter
// would be then: a batch the fast path declines to the drain, more SQEs
// queued behind it to the yield, a wake-up that does not satisfy the wait
// to the next pass. Inline in syscall_dispatch, so the thread blocks in
// block_and_switch called from there and resumes without returning through
// cap_enter's frame (perf.budgets endpoint_rtt).
//
// Its returns other than the usual block (satisfied, killed, exiting, more
// SQEs queued): out of line.
[[gnu::noinline, gnu::cold]] Result<uint32_t, CapError> enter_endpoint_unusual(Process& p, Thread& self,
                                                                               uint32_t ready,
                                                                               uint64_t min_complete)
    CAPOS_REQUIRES(g_kernel_lock) {
  sched::flush_handoff(&self);
  if (ready >= min_complete || p.kill_requested() || self.exit_requested) return ready;
  sched::yield();  // a full batch consumed and more queued: be fair, continue
  return cap_enter_after_fast(p, min_complete);
}

[[gnu::always_inline]] inline Result<uint32_t, CapError> enter_endpoint(Process& p, Thread& self, RingEngine& ring,
                                                                        uint64_t min_complete)
    CAPOS_REQUIRES(g_kernel_lock) {
  if (!ipc::fast_path(p, ring)) [[unlikely]] return irqs_off(cap_enter_after_fast(p, min_complete));
  // The fast path counted its SQEs itself (ipc env::count_sqe); its fetch
  // has just validated cq_head. The fast path never leaves the SQ corrupt
  // or the CQ stalled (it declines those batches).
  uint32_t ready = ring.cq_ready_bound();
  if (ready >= min_complete || p.kill_requested() || self.exit_requested || ring.sq_pending()) [[unlikely]]
    return irqs_off(enter_endpoint_unusual(p, self, ready, min_complete));
  // Block with IRQs off (the switch needs them off); as in cap_enter, no
  // completion can have been posted since `ready` was counted, and the
  // kill and exit requests are set only under the kernel lock we hold.
  arch::cli();
  self.in_cap_enter = true;
  self.wait_min = static_cast<uint32_t>(min_complete);
  // No deadline: not registered for the tick, so wait_deadline, read only
  // for registered waiters (sched expire_waiters), is not written.
  {
    CAPOS_MEASURE_SCOPE(Switch);
    if (Thread* next = self.switch_next) sched::block_and_switch(next);  // straight to the thread the fast path handed off to
    else sched::block_current();
  }
  self.in_cap_enter = false;
  // Woken satisfied (a completion posted into this ring): return with the
  // count validated again, as cap_enter does, and IRQs still off.
  if (uint32_t n = ring.cq_ready(); n >= min_complete) [[likely]] return n;
  arch::sti();  // as cap_enter's passes run: syscall_entry enabled them
  return irqs_off(cap_enter_after_fast(p, min_complete));
}

// cap_enter's NOP shortcut: a batch of plain NOPs that satisfies the call
// is completed before cap_enter sets up its handler, deadline and wait
// state (RingEngine::complete_nop_batch says when it acts; it changes
// nothing when it declines). With NOPs completed and other SQEs behind
// them, cap_enter's drain goes on from there. A ring the endpoint fast path
// is armed on takes the endpoint entry (above) for a wait without a
// deadline, else cap_enter, which asks that path first.
// A batch headed by a CALL without params is offered to the kernel-cap
// fast path the same way (enter_call, above). Inline: every other batch
// pays only the first few tests. Returns with interrupts disabled
// (irqs_off, above).
inline Result<uint32_t, CapError> enter(Process& p, Thread& self, uint64_t min_complete, uint64_t timeout_ns)
    CAPOS_REQUIRES(g_kernel_lock) {
  RingEngine& ring = p.ring(self.slot);
  if (!ring.fast_armed) {
    if (ring.nop_at_head()) {
      if (min_complete <= CQ_ENTRIES) {
        uint32_t min_ready = timeout_ns == CAP_ENTER_NO_WAIT ? 0 : static_cast<uint32_t>(min_complete);
        RingEngine::NopPass n = ring.complete_nop_batch(min_ready);
        g_ring_stats.sqes += n.consumed;
        if (n.all) return irqs_off(n.ready);  // what cap_enter returns once its drain has satisfied it
      }
    } else if (const CapSqe& h = ring.pending_sqe(0); h.opcode == CAP_OP_CALL && h.params_len == 0) {
      // Hints, as nop_at_head (kernel_fast_call reads what counts once):
      // only a CALL without params can take the kernel-cap fast path.
      return irqs_off(enter_call(p, self, min_complete, timeout_ns));
    }
  } else if (timeout_ns == CAP_ENTER_FOREVER && min_complete <= CQ_ENTRIES) [[likely]] {
    return enter_endpoint(p, self, ring, min_complete);
  }
  return irqs_off(cap_enter(p, min_complete, timeout_ns));
}

[[gnu::noinline, gnu::cold]] int64_t error_code(CapError e) { return e.cqe_result(); }

// A system call number outside the ABI. Out of line: the error constant
// is then not loaded on every system call.
[[gnu::noinline, gnu::cold]] uint64_t unknown_syscall() CAPOS_REQUIRES(g_kernel_lock) {
  sched::exit_to_user();
  uint64_t r = static_cast<uint64_t>(static_cast<int64_t>(abi::CAP_ERR_INVALID_REQUEST));
  asm("" : "+r"(r));  // opaque: the caller may not fold the constant back in
  return r;
}

uint64_t handle_syscall(Process* p, Thread* t, arch::SyscallFrame* f) CAPOS_REQUIRES(g_kernel_lock) {
  switch (f->rax) {
    case abi::SYS_CAP_ENTER: {
      CAPOS_MEASURE_SEG(Enter);
      // The one encoding point: a count, or the negative CAP_ERR_* sign-extended
      // (encoded at once, so the Result does not live across the exit work).
      // The error's code is read out of line: inline, the compiler selects
      // between the two without a branch, through a stack slot, on every call.
      Result<uint32_t, CapError> r = enter(*p, *t, f->rdi, f->rsi);
      int64_t rv = r ? int64_t{*r} : error_code(r.error());
      CAPOS_MEASURE_SEG(Exit);
      // The deferred-work point (ends the process if it was killed); its
      // no-work test is inlined here because every syscall passes it.
      // Interrupts are off: enter() returns with them disabled.
      if (deferred::pending() || sched::resched_requested() || p->kill_requested()) sched::exit_to_user();
      CAPOS_MEASURE_SEG(User);
      return static_cast<uint64_t>(rv);
    }
    case abi::SYS_EXIT: {
      CAPOS_MEASURE_SEG(Teardown);
      ExitStatus st;
      st.kind = ExitStatus::Kind::Exited;
      st.code = static_cast<int64_t>(f->rdi);
      p->exit_self(st);
    }
    default:
      return unknown_syscall();
  }
}

}  // namespace
}  // namespace capos

// A system call from a thread without a process (cannot happen: only user
// threads reach ring 3). Out of line, so the constant is not loaded on
// every call.
[[gnu::noinline, gnu::cold]] static uint64_t not_a_process() {
  uint64_t r = static_cast<uint64_t>(static_cast<int64_t>(capos::abi::CAP_ERR_INVALID_REQUEST));
  asm("" : "+r"(r));  // opaque: the caller may not fold the constant back in
  return r;
}

// Syscall entry: the kernel lock is held from here until the return to
// ring 3 (across any blocking in between; docs/concurrency.md).
extern "C" uint64_t syscall_dispatch(capos::arch::SyscallFrame* f) {
  using namespace capos;
  Thread* t = sched::current();
  Process* p = t ? t->process : nullptr;
  if (!p) [[unlikely]] return not_a_process();
  g_kernel_lock.acquire();
  uint64_t r = handle_syscall(p, t, f);
  g_kernel_lock.release();
  return r;
}
