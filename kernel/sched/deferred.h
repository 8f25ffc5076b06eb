// The one deferred-work point. Interrupt handlers only acknowledge their
// device, record what happened (raise) and ask for a reschedule; the work
// itself -- timer expiry (sleep completions, cap_enter timeouts) and
// console input completion -- runs in thread context, with interrupts
// disabled, at exit_to_user() (syscall exit and every interrupt return to
// ring 3) or in the idle loop. It therefore never runs on top of kernel
// code that was interrupted half-way through a ring or queue update, and
// it does not depend on whom the tick happened to interrupt: some thread
// always either returns to user mode or idles. docs/concurrency.md.
#pragma once

#include <stdint.h>

#include "kernel/sched/kernel_lock.h"

namespace capos::deferred {

enum Work : uint32_t {
  TIMER = 1u << 0,          // a tick: expire sleepers and cap_enter deadlines
  CONSOLE_INPUT = 1u << 1,  // serial bytes arrived: complete a pending Console.read
  DEVICE_IRQ = 1u << 2,     // a device MSI-X vector fired: complete its pending Interrupt.wait
  IOMMU_FAULT = 1u << 3,    // the DMA remapping unit recorded a fault: report it, stop the driver
  WORK_KINDS = 4,
};
using Handler = void (*)();

// Registers the handler of one work kind (boot, before interrupts).
void set_handler(Work w, Handler h);
// Records work from interrupt context. Never blocks, never allocates.
void raise(uint32_t work);
// Work bits; written from IRQs (raise), consumed in run(). Visible here
// only so that pending(), asked on every syscall exit, is one load.
extern uint32_t g_pending;
// The word compared in place (on x86 every load is an acquire load; the
// clobber keeps the compiler from moving later loads above it): one
// compare with the branch on its flags instead of a load and a test.
inline bool pending() {
  bool any;
  asm volatile("cmpl $0, %1" : "=@ccnz"(any) : "m"(g_pending) : "memory");
  return any;
}
// Runs every recorded work item (and items raised meanwhile) to
// completion. Interrupts must be disabled; handlers may post CQEs and make
// threads runnable but never block.
void run() CAPOS_REQUIRES(g_kernel_lock);

}  // namespace capos::deferred
