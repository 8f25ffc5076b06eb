#include "kernel/objects/thread_caps.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread_watch.h"
#include "kernel/sched/scheduler.h"
#include "lib/abi/layout.h"
#include "lib/core/format.h"

namespace capos {

namespace wire = schema::wire;

namespace {

// SpawnResults (framing, root pointer, two words) and one cap record, rounded up.
constexpr uint64_t SPAWN_REPLY_BYTES = 64 + sizeof(abi::CapTransferRecord);

// A user address a thread may start at, stack from or use as FS base.
bool user_addr(uint64_t a) { return a >= abi::USER_IMAGE_MIN && a < abi::USER_TOP; }

Status bound_to(uint32_t pid, const char* what) {
  CallContext& ctx = current_call();
  if (ctx.caller.pid() == pid) return {};
  format_to(ctx.fail_message, sizeof ctx.fail_message, "this {} belongs to another process", what);
  return fail(Err::InvalidArgument);
}

}  // namespace

void ThreadSpawnerCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status ThreadSpawnerCap::spawn(wire::ThreadSpawner::SpawnParams::Reader p, wire::ThreadSpawner::SpawnResults::Builder r) {
  CAPOS_TRY_STATUS(bound_to(pid_, "ThreadSpawner"));
  CallContext& ctx = current_call();
  uint64_t entry = p.getEntry(), stack = p.getStackTop(), fs = p.getFsBase();
  if (!user_addr(entry) || !user_addr(stack) || stack % 16 || (fs && !user_addr(fs))) {
    format_to(ctx.fail_message, sizeof ctx.fail_message,
              "entry, stackTop (16-byte aligned) and fsBase must be user addresses");
    return fail(Err::InvalidArgument);
  }
  Process& proc = ctx.caller;
  // The thread must not start unless its handle reaches the caller: the
  // reply has to fit before anything happens.
  if (ctx.result.len < SPAWN_REPLY_BYTES) return fail(Err::OutOfRange);
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  // The handle first (its result slot is reserved, so it cannot fail
  // after the thread exists); a failure below drops it undelivered.
  Ref<ThreadWatch> handle = ThreadWatch::create(proc.pid(), 0);
  if (!handle) return fail(Err::Overloaded);
  ThreadWatch* w = handle.get();  // kept alive by the result's reference
  uint32_t idx = CAPOS_TRY(ctx.add_result(move(handle), wire::ThreadHandle::kInterfaceId, CAP_F_NO_TRANSFER));
  auto t = proc.spawn_thread(entry, stack, p.getArg(), fs);
  if (!t) {
    if (t.error() == Err::Overloaded) {
      format_to(ctx.fail_message, sizeof ctx.fail_message, "thread quota {} reached",
                proc.ledger().limit(Res::Threads));
      return fail(Err::QuotaExceeded);
    }
    return fail(t.error());
  }
  Thread* th = *t;
  w->set_tid(th->tid);
  w->retain();  // the thread's reference, dropped when it leaves
  th->watch = w;
  r.setThread(idx);
  r.setThreadId(th->tid);
  sched::make_runnable(th);
  return {};
}

void ThreadControlCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status ThreadControlCap::setFsBase(wire::ThreadControl::SetFsBaseParams::Reader p,
                                   wire::ThreadControl::SetFsBaseResults::Builder) {
  CAPOS_TRY_STATUS(bound_to(pid_, "ThreadControl"));
  uint64_t base = p.getBase();
  if (base && !user_addr(base)) return fail(Err::InvalidArgument);
  Thread* t = sched::current();
  t->fs_base = base;
  arch::wrmsr(arch::MSR_FS_BASE, base);
  arch::this_cpu().fs_base = base;
  return {};
}

Status ThreadControlCap::exitThread(wire::ThreadControl::ExitThreadParams::Reader p,
                                    wire::ThreadControl::ExitThreadResults::Builder) {
  CAPOS_TRY_STATUS(bound_to(pid_, "ThreadControl"));
  // The thread leaves on its way out of the kernel (nothing of this call
  // is left on its stack then); cap_enter returns at once.
  Thread* t = sched::current();
  t->exit_requested = true;
  t->exit_code = p.getCode();
  sched::request_exit_check();
  return {};
}

Status ThreadControlCap::currentThread(wire::ThreadControl::CurrentThreadParams::Reader,
                                       wire::ThreadControl::CurrentThreadResults::Builder r) {
  CAPOS_TRY_STATUS(bound_to(pid_, "ThreadControl"));
  r.setThreadId(sched::current()->tid);
  return {};
}

}  // namespace capos
