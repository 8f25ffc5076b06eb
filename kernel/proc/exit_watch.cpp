#include "kernel/proc/exit_watch.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"

namespace capos {

static_assert(sizeof(ExitStatus) <= 64, "ExitStatus fits the watch's storage");

ExitWatch::ExitWatch() : KObject(ObjType::ProcessHandle) { new (status_) ExitStatus(); }

Ref<ExitWatch> ExitWatch::create() {
  void* m = heap::alloc(sizeof(ExitWatch));
  if (!m) return {};
  return Ref<ExitWatch>::adopt(new (m) ExitWatch());
}

const ExitStatus& ExitWatch::status() const { return *reinterpret_cast<const ExitStatus*>(status_); }

void ExitWatch::publish(const ExitStatus& st) {
  arch::IrqGuard irq;
  *reinterpret_cast<ExitStatus*>(status_) = st;
  __atomic_store_n(&exited_, true, __ATOMIC_RELEASE);
  if (Thread* w = waiter_) {
    waiter_ = nullptr;
    sched::make_runnable(w);
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

void ExitWatch::destroy() { heap::destroy(this); }

}  // namespace capos
