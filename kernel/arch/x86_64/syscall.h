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

// Callee-saved registers pushed by switch_context, then its return address.
struct SwitchFrame {
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
void fpu_save(void* area);
void fpu_restore(const void* area);
void fpu_init_area(void* area);

}  // namespace capos::arch

extern "C" void switch_context(uint64_t* save_rsp, uint64_t load_rsp);
extern "C" void thread_user_trampoline();
extern "C" void thread_kernel_trampoline();
