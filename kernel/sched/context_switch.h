// The context switch and the charge for the CPU time before it, for the
// scheduler only (scheduler.cpp; docs/ipc.md "Direct switch"). Inline:
// every block, yield and endpoint direct switch runs them, and the direct
// switch folds away the tests it does not need (UserToUser).
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/arch/x86_64/tlb.h"
#include "kernel/proc/address_space.h"
#include "kernel/proc/process.h"
#include "kernel/proc/thread.h"
#include "kernel/sched/fair_queue.h"
#include "kernel/sched/kernel_lock.h"
#include "kernel/sched/sched_context.h"

namespace capos::sched {

// Loads `as`'s tables on this CPU and keeps both residency masks right
// (TLB shootdown asks exactly the CPUs in a mask; arch/x86_64/tlb.h).
inline void load_tables(arch::PerCpu& c, AddressSpace& as) CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t root = as.root();
  if (c.loaded_root == root) return;
  if (!arch::smp()) {  // one CPU: no shootdown ever reads the masks (loaded_mask stays null)
    arch::write_cr3(root);
    c.loaded_root = root;
    return;
  }
  as.residency().set(c.cpu_id);
  arch::write_cr3(root);
  if (c.loaded_mask) c.loaded_mask->clear(c.cpu_id);
  c.loaded_root = root;
  c.loaded_mask = &as.residency();
}

// The switch proper: this CPU's records, the kernel stack (syscall entry
// and TSS), the FPU image, page tables and FS base, then the registers.
// Always inline, so the endpoint direct switch (block_and_switch) drops
// the tests it does not need: there `UserToUser` is known (a thread in
// cap_enter hands the CPU to another one blocked in cap_enter), so both
// FPU images are switched and the tables loaded without asking.
template <bool UserToUser>
[[gnu::always_inline]] inline void switch_cpu_to(arch::PerCpu& c, Thread* prev, Thread* next)
    CAPOS_REQUIRES(g_kernel_lock) {
  arch::tlb::kernel_flush_pending();  // next's stack may sit where a freed one was cached here
  if (UserToUser || (prev->process && prev->state != ThreadState::Dead)) arch::fpu_save(prev->fpu);
  next->state = ThreadState::Running;
  next->cpu = static_cast<uint8_t>(c.cpu_id);
  c.current = next;
  uint64_t top = next->kstack.top;
  c.kernel_rsp = top;
  *c.tss_rsp0 = top;  // arch::set_kernel_stack, with the record already at hand
  if (UserToUser || next->process) {
    load_tables(c, next->process->address_space());
    arch::fpu_restore(next->fpu);
    if (c.fs_base != next->fs_base) {  // threads of one program usually differ; processes often not
      arch::wrmsr(arch::MSR_FS_BASE, next->fs_base);
      c.fs_base = next->fs_base;
    }
  }
  arch::switch_stacks(&prev->saved_rsp, next->saved_rsp);
  // Running as `prev` again (maybe on another CPU).
}

// Charges `t`, the running thread, for the cycles since it was last
// charged: one TSC read serves its CPU time, this CPU's busy time, the
// fair-queue charge (a multiply by the weight's precomputed inverse,
// fair_queue.h) and its SchedulingContext budget. `MaybeIdle` false: the
// caller knows `t` is not the idle thread (a thread in cap_enter).
template <bool MaybeIdle = true>
[[gnu::always_inline]] inline void charge_running(arch::PerCpu& c, Thread* t) CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t now = arch::rdtsc_unordered();
  uint64_t used = now - c.switch_tsc;
  c.switch_tsc = now;
  t->cpu_cycles += used;
  // Only this CPU writes its busy time (others read it relaxed, system_caps):
  // one add to memory, whose aligned store they see whole.
  if (!MaybeIdle || t != c.idle) asm volatile("addq %1, %0" : "+m"(c.busy_cycles) : "r"(used));
  FairQueue<Thread>::charge(t, used);  // idle too: harmless, it is never queued
  budget_hooks::charge(t, used, now);
}

}  // namespace capos::sched
