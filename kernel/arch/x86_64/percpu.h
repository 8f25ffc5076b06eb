// Per-CPU data reached through GS (kernel GS base). The first words are
// read by assembly (syscall entry) and by the inline accessors below;
// keep their offsets in sync with entry.S (static_asserts in percpu.cpp).
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/percpu_field.h"

namespace capos {
class Thread;
}

namespace capos::arch {

struct CpuMask;

constexpr uint32_t MAX_CPUS = 16;

struct PerCpu {
  uint64_t user_rsp_scratch;   // 0: user RSP during syscall entry
  uint64_t kernel_rsp;         // 8: top of the current thread's kernel stack
  PerCpu* self;                // 16
  Thread* current;             // 24: the thread running here (written only by the scheduler's switch)
  uint32_t cpu_id;             // 32: logical id, 0 = boot CPU
  uint32_t apic_id;            // 36: this CPU's local APIC id
  uint64_t fs_base;            // 40: MSR_FS_BASE as last written (a switch skips an equal one)
  uint8_t need_resched;        // 48: the running thread's slice is over / something to run (set by the tick and IPIs)
  uint8_t holds_kernel_lock;   // 49: this CPU holds the big kernel lock (kernel_lock.h)
  uint8_t online;              // 50: runs the scheduler
  uint8_t raised_work;         // 51: an interrupt on this CPU recorded deferred work (idle wakes for it)
  uint8_t pad[4];
  Thread* idle;                // 56: this CPU's idle thread
  uint64_t switch_tsc;         // 64: when the running thread was last charged
  uint64_t loaded_root;        // 72: the user page-table root in CR3 (0 = the kernel's)
  uint32_t tlb_pending;        // 80: a TLB shootdown request waits for this CPU (atomic)
  uint32_t ticks;              // 84: local timer ticks
  uint64_t ipis_received;      // 88
  CpuMask* loaded_mask;        // 96: residency mask of the address space in loaded_root
  uint64_t busy_cycles;        // 104: TSC cycles charged to threads other than idle
  uint32_t kernel_flush;       // 112: flush the kernel half before the next kernel-lock critical section (atomic)
  uint64_t* tss_rsp0;          // 120: this CPU's TSS ring-0 stack slot (gdt.cpp)
};

static_assert(__builtin_offsetof(PerCpu, self) == pcpu::SELF);
static_assert(__builtin_offsetof(PerCpu, current) == pcpu::CURRENT);
static_assert(__builtin_offsetof(PerCpu, cpu_id) == pcpu::CPU_ID);
static_assert(__builtin_offsetof(PerCpu, need_resched) == pcpu::NEED_RESCHED);
static_assert(__builtin_offsetof(PerCpu, holds_kernel_lock) == pcpu::HOLDS_KERNEL_LOCK);
static_assert(__builtin_offsetof(PerCpu, raised_work) == pcpu::RAISED_WORK);
static_assert(__builtin_offsetof(PerCpu, kernel_flush) == pcpu::KERNEL_FLUSH);

void percpu_init();
// A started AP reports in (smp.cpp).
void percpu_arrived();

namespace detail {
extern PerCpu g_cpus[MAX_CPUS];
extern uint32_t g_cpu_count;  // written only before the scheduler starts
}  // namespace detail

// Inline: the scheduler and the kernel lock use them on every switch.
inline PerCpu& this_cpu() { return *pcpu::read<PerCpu*, pcpu::SELF>(); }
// The record of logical CPU `id` (valid for id < cpu_count()).
inline PerCpu& cpu(uint32_t id) { return detail::g_cpus[id]; }
// CPUs that have started (the boot CPU and every AP that reported in);
// their logical ids are 0 .. cpu_count()-1. Fixed once the scheduler runs.
inline uint32_t cpu_count() { return __atomic_load_n(&detail::g_cpu_count, __ATOMIC_ACQUIRE); }
// More than one CPU: cross-CPU bookkeeping (residency masks, the shared
// queue floor) is needed. False on -smp 1, which then pays nothing for it.
inline bool smp() { return detail::g_cpu_count > 1; }

inline uint32_t this_cpu_id() { return pcpu::read<uint32_t, pcpu::CPU_ID>(); }

}  // namespace capos::arch
