// TLB shootdown (docs/smp.md). Each user address space records which CPUs
// have its page tables loaded (its residency mask, kept by the scheduler's
// switch under the kernel lock). A change that removes or narrows a
// mapping flushes the local TLB and asks exactly the CPUs in the mask, by
// IPI, to do the same; it returns only when all of them have. The kernel
// half (shared by every CPU) is flushed on every other running CPU.
//
// Requests are made under the kernel lock, so there is one at a time and
// the masks cannot change meanwhile. They must not be made while holding
// an IrqSpinLock: a CPU spinning for that lock with interrupts off would
// never answer. A CPU spinning for the kernel lock answers while it spins.
//
// Frames a request unmaps are freed before the request completes; that is
// safe because frames are handed out again only under the kernel lock,
// which the requester holds until every CPU has flushed.
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/percpu_field.h"

namespace capos::arch {

// CPUs (by logical id) that have one address space loaded.
struct PerCpu;

struct CpuMask {
  uint32_t bits = 0;  // atomic accesses only
  uint32_t load() const { return __atomic_load_n(&bits, __ATOMIC_ACQUIRE); }
  void set(uint32_t cpu) { __atomic_or_fetch(&bits, 1u << cpu, __ATOMIC_RELEASE); }
  void clear(uint32_t cpu) { __atomic_and_fetch(&bits, ~(1u << cpu), __ATOMIC_RELEASE); }
};

namespace tlb {

// Flushes [start, end) of the address space rooted at `root` here (if it
// is loaded here) and on every other CPU in `resident`.
void flush_user(uint64_t root, const CpuMask& resident, uint64_t start, uint64_t end);
// The address space rooted at `root` is being destroyed: every CPU that
// still has it loaded (an idle CPU keeps the last process's tables)
// switches to the kernel's tables, this one included.
void leave(uint64_t root, CpuMask& resident);
// This CPU switches to the kernel's tables and leaves the residency mask
// of the user tables it had loaded (an idle CPU, a teardown, an answered
// Leave request); nothing if none were loaded.
void drop_user_tables(PerCpu& c);
// Flushes [start, end) of the kernel half here at once, and on every
// other CPU lazily (a flag, no IPI): the only kernel mappings removed
// while the system runs are kernel stacks, and a CPU touches a reused
// stack address only when it builds a new thread's stack
// (alloc_kernel_stack) or switches to that thread -- both check the flag
// first (kernel_flush_pending).
void flush_kernel(uint64_t start, uint64_t end);
// Flushes the kernel half here if another CPU asked for it.
inline void kernel_flush_pending();
// Answers a pending request for this CPU, if any (the IPI handler and the
// kernel lock's spin loop).
void service();
// Installs the IPI handler (boot CPU, once).
void init();
// Requests sent and their IPIs, for the status report and tests.
uint64_t requests();
uint64_t ipis_sent();

void kernel_flush_now();
inline void kernel_flush_pending() {
  if (pcpu::read<uint32_t, pcpu::KERNEL_FLUSH>()) kernel_flush_now();
}

}  // namespace tlb
}  // namespace capos::arch
