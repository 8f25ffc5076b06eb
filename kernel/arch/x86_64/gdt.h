// GDT and TSS. Selector order is fixed by SYSCALL/SYSRET: kernel code,
// kernel data, then user data, user code (docs/abi.md).
#pragma once

#include <stdint.h>

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

void gdt_init();
// Loads the (shared) GDT and the kernel segments, without the TSS:
// gdt_init's first step, and all an AP needs while it runs no user code.
void gdt_load();
// Stack used when entering ring 0 from ring 3 (per thread).
void set_kernel_stack(uint64_t rsp0);

}  // namespace capos::arch
