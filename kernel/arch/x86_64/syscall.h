// SYSCALL/SYSRET setup and the saved user state of a syscall.
#pragma once

#include <stdint.h>

namespace capos::arch {

// Pushed by syscall_entry (entry.S), lowest address first.
// rbx and r12-r15 are written only for a new thread's first return
// (thread_user_trampoline); a system call neither saves nor reloads them.
struct SyscallFrame {
  uint64_t rax, rdi, rsi, rdx, r10, r8, r9;
  uint64_t rbp, rbx, r12, r13, r14, r15;
  uint64_t rip, rflags, rsp;
};
static_assert(__builtin_offsetof(SyscallFrame, rip) == 104, "entry.S reads rip at 104(%rsp)");
static_assert(sizeof(SyscallFrame) == 16 * 8);

// A new thread's saved stack (thread.cpp): resumed at switch_frame_resume,
// which pops the callee-saved registers and returns into `ret`.
struct SwitchFrame {
  uint64_t resume;  // &switch_frame_resume
  uint64_t r15, r14, r13, r12, rbx, rbp;
  uint64_t ret;
};

void syscall_init();
// Enables SSE/x87 for user threads (the kernel itself never uses them).
void fpu_init();
// An AP: the same control-register setup, without recapturing the
// clean state every new thread starts from.
void fpu_init_this_cpu();
constexpr uint64_t FPU_AREA_BYTES = 512;  // FXSAVE image
// Inline: every switch between user threads saves one image and loads
// another (the eager FXSAVE scheme of fpu_init_this_cpu; CR0.TS stays off).
// The image as a memory operand, so the instruction addresses it from the
// thread record directly (no separate address computation per switch), and
// as the only memory either touches (the kernel itself never uses the FPU),
// so the compiler need not reload what it read before the switch.
struct FpuImage {
  uint8_t bytes[FPU_AREA_BYTES];
};
inline void fpu_save(void* area) { asm volatile("fxsave64 %0" : "=m"(*static_cast<FpuImage*>(area))); }
inline void fpu_restore(const void* area) {
  asm volatile("fxrstor64 %0" : : "m"(*static_cast<const FpuImage*>(area)));
}
void fpu_init_area(void* area);

// The context switch: saves the frame pointer and a resume address on the
// current stack, stores the stack pointer in *save_rsp, loads load_rsp and
// returns to the resume address on top of that stack. A saved stack is
// therefore "resume address, then whatever its saver restores": every
// other register is declared clobbered, so the compiler saves only what is
// live in the switching function (its prologue already saves most of it)
// instead of a fixed set of six around every switch. Always inline.
[[gnu::always_inline]] inline void switch_stacks(uint64_t* save_rsp, uint64_t load_rsp) {
  asm volatile(
      "pushq %%rbp\n\t"
      "leaq 1f(%%rip), %%rax\n\t"
      "pushq %%rax\n\t"
      "movq %%rsp, %[save]\n\t"
      "movq %[load], %%rsp\n\t"
      "ret\n"
      "1:\n\t"
      "popq %%rbp"
      : [save] "=m"(*save_rsp), [load] "+S"(load_rsp)
      :
      : "rax", "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "memory", "cc");
}

}  // namespace capos::arch

extern "C" void switch_frame_resume();
extern "C" void thread_user_trampoline();
extern "C" void thread_kernel_trampoline();
