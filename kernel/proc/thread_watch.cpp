#include "kernel/proc/thread_watch.h"

#include "kernel/objects/kernel_server.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "lib/capnp/message.h"
#include "lib/core/format.h"

namespace capos {

namespace wire = schema::wire;

Ref<ThreadWatch> ThreadWatch::create(uint32_t pid, uint32_t tid) {
  void* m = heap::alloc(sizeof(ThreadWatch));
  return m ? Ref<ThreadWatch>::adopt(new (m) ThreadWatch(pid, tid)) : Ref<ThreadWatch>();
}

void ThreadWatch::publish(int64_t code) {
  exited_ = true;
  code_ = code;
  IpcCall* c = join_call_;
  join_call_ = nullptr;
  if (!c) return;
  alignas(8) uint8_t buf[64];
  capnp::FixedMessageBuilder mb(MutBytes(buf, sizeof(buf)));
  auto r = wire::ThreadHandle::JoinResults::initRoot(mb);
  if (r) {
    r->setExitCode(code);
    ipc::complete_deferred(c, mb.framed(), false);
  } else {
    ipc::fail_deferred(c, CAPOS_CAP_ERROR(INVOKE_FAILED, "the join result could not be encoded"));
  }
}

void ThreadWatch::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status ThreadWatch::join(wire::ThreadHandle::JoinParams::Reader, wire::ThreadHandle::JoinResults::Builder r) {
  CallContext& ctx = current_call();
  // A handle names a thread of its own process; from elsewhere it is inert.
  if (ctx.caller.pid() != pid_) return fail(Err::InvalidArgument);
  if (exited_) {
    r.setExitCode(code_);
    return {};
  }
  if (sched::current()->tid == tid_) {
    format_to(ctx.fail_message, sizeof ctx.fail_message, "a thread cannot join itself");
    return fail(Err::InvalidArgument);
  }
  if (join_call_) return fail(Err::Failed);  // schema: one pending join
  IpcCall* c = CAPOS_TRY(ipc::defer_kernel_call(ctx, *this));
  join_call_ = c;
  ctx.deferred = c;
  return {};
}

Status ThreadWatch::info(wire::ThreadHandle::InfoParams::Reader, wire::ThreadHandle::InfoResults::Builder r) {
  if (current_call().caller.pid() != pid_) return fail(Err::InvalidArgument);
  r.setThreadId(tid_);
  r.setRunning(!exited_);
  return {};
}

void ThreadWatch::cancel(IpcCall* c) {
  if (join_call_ == c) join_call_ = nullptr;
}

void ThreadWatch::destroy() {
  if (join_call_) ipc::fail_deferred(join_call_, CAPOS_CAP_ERROR(CANCELLED, "the join was cancelled"));
  this->~ThreadWatch();
  heap::free(this);
}

}  // namespace capos
