#include "kernel/proc/exit_watch.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"
#include "lib/capnp/message.h"
#include "lib/core/cstring.h"

namespace capos {

namespace wire = schema::wire;

static_assert(sizeof(ExitStatus) <= 64, "ExitStatus fits the watch's storage");

namespace {

void copy_name(char* dst, StrView s) {
  size_t n = min(s.size(), size_t{31});
  memcpy(dst, s.ptr, n);
  dst[n] = '\0';
}

wire::FaultKind fault_kind(uint32_t vector) {
  switch (vector) {
    case 14: return wire::FaultKind::PAGE_FAULT;
    case 13: return wire::FaultKind::GENERAL_PROTECTION;
    case 6: return wire::FaultKind::INVALID_OPCODE;
    case 0: return wire::FaultKind::DIVIDE_ERROR;
    case 3: return wire::FaultKind::BREAKPOINT;
    case 16:
    case 19: return wire::FaultKind::FLOATING_POINT;
    case 17: return wire::FaultKind::ALIGNMENT_CHECK;
    case 12: return wire::FaultKind::STACK_SEGMENT;
    default: return wire::FaultKind::UNKNOWN;
  }
}

}  // namespace

ExitWatch::ExitWatch() : KernelCap(ObjType::ProcessHandle) { new (status_) ExitStatus(); }

Ref<ExitWatch> ExitWatch::create(Process* p, StrView name) {
  void* m = heap::alloc(sizeof(ExitWatch));
  if (!m) return {};
  auto* w = new (m) ExitWatch();
  w->process_ = p;
  copy_name(w->name_, name);
  return Ref<ExitWatch>::adopt(w);
}

void ExitWatch::set_binary(StrView binary) { copy_name(binary_, binary); }

const ExitStatus& ExitWatch::status() const { return *reinterpret_cast<const ExitStatus*>(status_); }

Status ExitWatch::fill_status(wire::ExitStatus::Builder b) const {
  const ExitStatus& st = status();
  switch (st.kind) {
    case ExitStatus::Kind::Exited:
      b.setExited(st.code);
      break;
    case ExitStatus::Kind::Faulted: {
      auto f = CAPOS_TRY(b.initFaulted());
      f.setKind(fault_kind(st.vector));
      f.setVector(static_cast<uint8_t>(st.vector));
      f.setAddress(st.fault_addr);
      f.setInstructionPointer(st.rip);
      f.setErrorCode(st.error_code);
      break;
    }
    default:
      b.setKilled(wire::KillReason::BY_HANDLE);
      break;
  }
  return {};
}

void ExitWatch::publish(const ExitStatus& st) {
  IpcCall* call;
  {
    arch::IrqGuard irq;
    *reinterpret_cast<ExitStatus*>(status_) = st;
    process_ = nullptr;
    __atomic_store_n(&exited_, true, __ATOMIC_RELEASE);
    if (Thread* w = waiter_) {
      waiter_ = nullptr;
      sched::make_runnable(w);
    }
    call = waiter_call_;
    waiter_call_ = nullptr;
  }
  if (call) {  // the deferred wait(): build the result now
    alignas(8) uint8_t buf[256];
    capnp::FixedMessageBuilder mb(MutBytes(buf, sizeof(buf)));
    auto r = wire::ProcessHandle::WaitResults::initRoot(mb);
    bool ok = r.ok();
    if (ok) {
      auto s = r->initStatus();
      ok = s.ok() && fill_status(*s).ok();
    }
    if (ok) ipc::complete_deferred(call, mb.framed(), false);
    else ipc::fail_deferred(call, CAPOS_CAP_ERROR(INVOKE_FAILED, "the exit status could not be encoded"));
  }
}

void ExitWatch::wait() {
  for (;;) {
    arch::IrqGuard irq;
    if (exited()) return;
    waiter_ = sched::current();
    sched::block_current();
  }
}

void ExitWatch::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status ExitWatch::wait(wire::ProcessHandle::WaitParams::Reader, wire::ProcessHandle::WaitResults::Builder r) {
  if (exited()) return fill_status(CAPOS_TRY(r.initStatus()));
  if (waiter_call_ || waiter_) return fail(Err::Busy);  // one waiter per process
  CallContext& ctx = current_call();
  IpcCall* c = CAPOS_TRY(ipc::defer_kernel_call(ctx, *this));
  waiter_call_ = c;
  ctx.deferred = c;
  return {};
}

void ExitWatch::cancel(IpcCall* c) {
  arch::IrqGuard irq;
  if (waiter_call_ == c) waiter_call_ = nullptr;
}

bool ExitWatch::request_kill() {
  if (exited() || !process_) return false;
  process_->request_kill();
  return true;
}

Status ExitWatch::kill(wire::ProcessHandle::KillParams::Reader, wire::ProcessHandle::KillResults::Builder r) {
  r.setOutcome(request_kill() ? wire::ProcessHandle::KillOutcome::KILLED
                              : wire::ProcessHandle::KillOutcome::ALREADY_EXITED);
  return {};
}

Status ExitWatch::info(wire::ProcessHandle::InfoParams::Reader, wire::ProcessHandle::InfoResults::Builder r) {
  r.setPid(pid_);
  CAPOS_TRY_STATUS(r.setName(StrView(name_)));
  CAPOS_TRY_STATUS(r.setBinaryName(StrView(binary_)));
  r.setRunning(!exited());
  return {};
}

void ExitWatch::destroy() {
  if (waiter_call_) ipc::fail_deferred(waiter_call_, CAPOS_CAP_ERROR(CANCELLED, "the wait was cancelled"));
  this->~ExitWatch();
  heap::free(this);
}

}  // namespace capos
