// Register state saved by the interrupt stubs (isr.S), lowest address
// first. The layout is shared with the assembly; keep them in sync.
#pragma once

#include <stdint.h>

namespace capos::arch {

struct InterruptFrame {
  uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
  uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
  uint64_t vector, error_code;
  uint64_t rip, cs, rflags, rsp, ss;  // pushed by the CPU
  bool from_user() const { return (cs & 3) == 3; }
};
static_assert(sizeof(InterruptFrame) == 22 * 8);

}  // namespace capos::arch
