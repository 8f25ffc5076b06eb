// GDT and TSS. Selector order is fixed by SYSCALL/SYSRET: kernel code,
// kernel data, then user data, user code (docs/abi.md).
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/percpu.h"

namespace capos::arch {

constexpr uint16_t KERNEL_CS = 0x08;
constexpr uint16_t KERNEL_DS = 0x10;
constexpr uint16_t USER_DS = 0x18 | 3;
constexpr uint16_t USER_CS = 0x20 | 3;
constexpr uint16_t TSS_SEL = 0x28;

// IST slots (1-based as the IDT encodes them).
constexpr uint8_t IST_DOUBLE_FAULT = 1;
constexpr uint8_t IST_NMI = 2;
constexpr uint8_t IST_MACHINE_CHECK = 3;

// The boot CPU's GDT and TSS (IST stacks in the kernel image).
void gdt_init();
// Loads the boot CPU's GDT and the kernel segments, without the TSS: what
// an AP needs first, before its own tables exist.
void gdt_load();
// An AP's own GDT and TSS, with its IST stacks (double fault, NMI,
// machine check); loads both. `cpu` is the logical CPU id.
void gdt_init_cpu(uint32_t cpu, const uint64_t (&ist_tops)[3]);
// Stack used when entering ring 0 from ring 3 on this CPU (per thread).
// Inline: every context switch sets it.
inline void set_kernel_stack(uint64_t rsp0) { *this_cpu().tss_rsp0 = rsp0; }

}  // namespace capos::arch
