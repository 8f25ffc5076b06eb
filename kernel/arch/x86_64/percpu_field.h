// One field of this CPU's PerCpu record, read or written through GS in one
// instruction. Hot paths (the current thread, the reschedule request, the
// kernel lock's owner byte) use these without including percpu.h, whose
// record they would not otherwise need; percpu.h checks every offset here
// against the struct with static_asserts, so the two cannot drift apart.
// entry.S reads the first words by their own numbers (see percpu.h).
#pragma once

#include <stdint.h>

namespace capos::arch::pcpu {

// Byte offsets into PerCpu (kernel/arch/x86_64/percpu.h).
constexpr uint32_t SELF = 16;
constexpr uint32_t CURRENT = 24;
constexpr uint32_t CPU_ID = 32;
constexpr uint32_t NEED_RESCHED = 48;
constexpr uint32_t HOLDS_KERNEL_LOCK = 49;
constexpr uint32_t RAISED_WORK = 51;
constexpr uint32_t KERNEL_FLUSH = 112;

template <class T, uint32_t Offset> inline T read() {
  T v;
  asm volatile("mov %%gs:%c1, %0" : "=r"(v) : "i"(Offset));
  return v;
}

// A byte flag tested in place (one compare with the branch on its flags,
// not a load and a test): the reschedule request and the kernel lock's
// owner byte, asked on every system call.
template <uint32_t Offset> inline bool byte_set() {
  bool set;
  asm volatile("cmpb $0, %%gs:%c1" : "=@ccnz"(set) : "i"(Offset));
  return set;
}

// A constant is stored as an immediate (the kernel lock's owner byte, set
// and cleared on every system call): no register loaded first.
template <class T, uint32_t Offset> inline void write(T v) {
  static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
  if constexpr (sizeof(T) == 1) asm volatile("movb %b0, %%gs:%c1" : : "ir"(v), "i"(Offset) : "memory");
  else if constexpr (sizeof(T) == 2) asm volatile("movw %w0, %%gs:%c1" : : "ir"(v), "i"(Offset) : "memory");
  else if constexpr (sizeof(T) == 4) asm volatile("movl %k0, %%gs:%c1" : : "ir"(v), "i"(Offset) : "memory");
  else asm volatile("movq %q0, %%gs:%c1" : : "er"(v), "i"(Offset) : "memory");
}

}  // namespace capos::arch::pcpu
