#include "kernel/arch/x86_64/idt.h"

#include "kernel/arch/x86_64/gdt.h"
#include "kernel/debug/panic.h"
#include "kernel/sched/kernel_lock.h"

extern "C" const uint64_t isr_stub_table[256];

namespace capos::arch {

namespace {

struct [[gnu::packed]] IdtEntry {
  uint16_t offset_lo;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_hi;
  uint32_t zero;
};
static_assert(sizeof(IdtEntry) == 16);

struct [[gnu::packed]] IdtPtr {
  uint16_t limit;
  uint64_t base;
};

alignas(16) IdtEntry g_idt[256];
IrqHandler g_handlers[256];
UserFaultHandler g_user_fault = nullptr;
void (*g_return_to_user)() = nullptr;
bool (*g_return_needed)() = nullptr;

void set_gate(int vec, uint64_t handler, uint8_t ist, uint8_t dpl) {
  g_idt[vec] = IdtEntry{static_cast<uint16_t>(handler), KERNEL_CS, ist,
                        static_cast<uint8_t>(0x8E | (dpl << 5)),  // present, interrupt gate
                        static_cast<uint16_t>(handler >> 16), static_cast<uint32_t>(handler >> 32), 0};
}

}  // namespace

void idt_init() {
  for (int v = 0; v < 256; ++v) {
    uint8_t ist = v == 8 ? IST_DOUBLE_FAULT : v == 2 ? IST_NMI : v == 18 ? IST_MACHINE_CHECK : 0;
    set_gate(v, isr_stub_table[v], ist, v == 3 ? 3 : 0);  // int3 reachable from ring 3
  }
  IdtPtr ptr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
  asm volatile("lidt %0" : : "m"(ptr));
}

void idt_load() {
  IdtPtr ptr{sizeof(g_idt) - 1, reinterpret_cast<uint64_t>(g_idt)};
  asm volatile("lidt %0" : : "m"(ptr));
}

void set_irq_handler(uint8_t vector, IrqHandler handler) { g_handlers[vector] = handler; }
void set_user_fault_handler(UserFaultHandler h) { g_user_fault = h; }
void set_return_to_user_hook(void (*hook)(), bool (*needed)()) {
  g_return_to_user = hook;
  g_return_needed = needed;
}

}  // namespace capos::arch

using capos::arch::InterruptFrame;

namespace {

void handle(InterruptFrame* f) {
  using namespace capos::arch;
  if (f->vector < 32) {
    if (f->from_user() && g_user_fault && f->vector != 2 && f->vector != 8 && f->vector != 18) {
      g_user_fault(*f);
      return;
    }
    capos::panic_exception(*f);
  }
  if (IrqHandler h = g_handlers[f->vector]) {
    h(*f);
    return;
  }
  if (f->vector == VEC_SPURIOUS) return;
  capos::panic("unexpected interrupt vector {}", f->vector);
}

}  // namespace

// An exception from user mode is handled like a syscall: under the kernel
// lock (a user fault may end the process), and every return to ring 3
// passes the deferred-work point when it has work. From kernel mode only
// the handler runs: interrupt handlers never take the lock
// (docs/concurrency.md).
extern "C" void interrupt_dispatch(InterruptFrame* f) {
  // A TLB shootdown is answered without the lock: its sender holds the
  // lock and waits for the answer (arch/x86_64/tlb.h).
  if (!f->from_user() || f->vector == capos::arch::VEC_TLB) {
    handle(f);
    return;
  }
  using capos::arch::g_return_needed;
  using capos::arch::g_return_to_user;
  if (f->vector >= 32) {
    // An interrupt: its handler only records and wakes, with or without the
    // lock. Most ticks find nothing to do on the way back (no deferred work
    // here, nothing else runnable, no kill): they return to ring 3 without
    // the lock, so N busy CPUs do not queue for it N*100 times a second.
    // With more vCPUs than host cores that queueing collapsed into a convoy
    // that stalled a boot for minutes (docs/smp.md, "Lock traffic").
    handle(f);
    if (g_return_needed && !g_return_needed()) return;
    capos::g_kernel_lock.acquire();
    if (g_return_to_user) g_return_to_user();
    capos::g_kernel_lock.release();
    return;
  }
  capos::g_kernel_lock.acquire();  // an exception may end the process or map a page
  handle(f);
  if (g_return_to_user) g_return_to_user();
  capos::g_kernel_lock.release();
}
