#include "kernel/proc/thread.h"

#include "kernel/arch/x86_64/gdt.h"
#include "kernel/cap/object.h"
#include "kernel/mm/heap.h"

namespace capos {

namespace {

uint32_t g_next_tid = 1;

Result<Thread*> alloc_thread() {
  Thread* t = heap::make<Thread>();
  if (!t) return fail(Err::OutOfMemory);
  auto st = paging::alloc_kernel_stack(Thread::KSTACK_PAGES);
  if (!st) {
    heap::destroy(t);
    return fail(st.error());
  }
  t->kstack = *st;
  t->tid = __atomic_fetch_add(&g_next_tid, 1, __ATOMIC_RELAXED);
  arch::fpu_init_area(t->fpu);
  return t;
}

}  // namespace

Result<Thread*> Thread::create_user(Process* p, uint64_t rip, uint64_t rsp, uint64_t a0, uint64_t a1,
                                    uint64_t a2) {
  Thread* t = CAPOS_TRY(alloc_thread());
  t->process = p;
  // Stack top: SyscallFrame for the first SYSRET, below it a SwitchFrame
  // that "returns" into thread_user_trampoline.
  auto* frame = reinterpret_cast<arch::SyscallFrame*>(t->kstack.top - sizeof(arch::SyscallFrame));
  *frame = arch::SyscallFrame{};
  frame->rdi = a0;
  frame->rsi = a1;
  frame->rdx = a2;
  frame->rip = rip;
  frame->rsp = rsp;
  frame->rflags = 0x202;  // IF
  auto* sw = reinterpret_cast<arch::SwitchFrame*>(reinterpret_cast<uint64_t>(frame) - sizeof(arch::SwitchFrame));
  *sw = arch::SwitchFrame{};
  sw->resume = reinterpret_cast<uint64_t>(&switch_frame_resume);
  sw->ret = reinterpret_cast<uint64_t>(&thread_user_trampoline);
  t->saved_rsp = reinterpret_cast<uint64_t>(sw);
  return t;
}

Result<Thread*> Thread::create_kernel(const char* name, void (*fn)(void*), void* arg) {
  Thread* t = CAPOS_TRY(alloc_thread());
  t->name = name;
  // Keep the trampoline's call sites 16-byte aligned.
  uint64_t top = t->kstack.top - 16;
  auto* sw = reinterpret_cast<arch::SwitchFrame*>(top - sizeof(arch::SwitchFrame));
  *sw = arch::SwitchFrame{};
  sw->resume = reinterpret_cast<uint64_t>(&switch_frame_resume);
  sw->r12 = reinterpret_cast<uint64_t>(fn);
  sw->r13 = reinterpret_cast<uint64_t>(arg);
  sw->ret = reinterpret_cast<uint64_t>(&thread_kernel_trampoline);
  t->saved_rsp = reinterpret_cast<uint64_t>(sw);
  return t;
}

void Thread::destroy(Thread* t) {
  if (t->sched_ctx) t->sched_ctx->release();
  paging::free_kernel_stack(t->kstack);
  heap::destroy(t);
}

}  // namespace capos
