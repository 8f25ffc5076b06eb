// IDT setup and the C++ side of interrupt dispatch.
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/interrupt_frame.h"

namespace capos::arch {

constexpr uint8_t VEC_TIMER = 32;
constexpr uint8_t VEC_SERIAL = 36;
// Inter-processor interrupts (docs/smp.md): "look at your run queue" and
// "a TLB shootdown request waits for you".
constexpr uint8_t VEC_RESCHED = 0xF0;
constexpr uint8_t VEC_TLB = 0xF1;
constexpr uint8_t VEC_SPURIOUS = 255;

using IrqHandler = void (*)(InterruptFrame&);

void idt_init();
// Loads the (shared) IDT on an AP.
void idt_load();
// Installs the handler for an external vector (>= 32).
void set_irq_handler(uint8_t vector, IrqHandler handler);
// Called for exceptions raised in user mode (later: kill the process).
using UserFaultHandler = void (*)(InterruptFrame&);
void set_user_fault_handler(UserFaultHandler h);
// Called after every interrupt or exception that returns to ring 3 (the
// kernel's deferred-work point; see kernel/sched/deferred.h). `needed`
// answers, without the kernel lock and with interrupts off, whether that
// point has anything to do after an interrupt (not an exception) from ring
// 3; when it has not, the interrupt returns without taking the lock.
void set_return_to_user_hook(void (*hook)(), bool (*needed)());

}  // namespace capos::arch
