// Thin inline wrappers over privileged x86_64 instructions.
#pragma once

#include <stdint.h>

namespace capos::arch {

inline void outb(uint16_t port, uint8_t v) { asm volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
inline void outw(uint16_t port, uint16_t v) { asm volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
inline void outl(uint16_t port, uint32_t v) { asm volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }
inline uint8_t inb(uint16_t port) {
  uint8_t v;
  asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}
inline uint16_t inw(uint16_t port) {
  uint16_t v;
  asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

inline uint64_t rdmsr(uint32_t msr) {
  uint32_t lo, hi;
  asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
inline void wrmsr(uint32_t msr, uint64_t v) {
  asm volatile("wrmsr" : : "c"(msr), "a"(static_cast<uint32_t>(v)), "d"(static_cast<uint32_t>(v >> 32)));
}

inline uint64_t read_cr0() { uint64_t v; asm volatile("mov %%cr0, %0" : "=r"(v)); return v; }
inline uint64_t read_cr2() { uint64_t v; asm volatile("mov %%cr2, %0" : "=r"(v)); return v; }
inline uint64_t read_cr3() { uint64_t v; asm volatile("mov %%cr3, %0" : "=r"(v)); return v; }
inline uint64_t read_cr4() { uint64_t v; asm volatile("mov %%cr4, %0" : "=r"(v)); return v; }
inline void write_cr0(uint64_t v) { asm volatile("mov %0, %%cr0" : : "r"(v) : "memory"); }
inline void write_cr3(uint64_t v) { asm volatile("mov %0, %%cr3" : : "r"(v) : "memory"); }
inline void write_cr4(uint64_t v) { asm volatile("mov %0, %%cr4" : : "r"(v) : "memory"); }

inline uint64_t read_rflags() {
  uint64_t v;
  asm volatile("pushfq; popq %0" : "=r"(v));
  return v;
}
inline uint64_t read_rbp() {
  uint64_t v;
  asm volatile("mov %%rbp, %0" : "=r"(v));
  return v;
}

inline void cli() { asm volatile("cli" ::: "memory"); }
inline void sti() { asm volatile("sti" ::: "memory"); }
inline void hlt() { asm volatile("hlt" ::: "memory"); }
inline void pause() { asm volatile("pause"); }
inline bool interrupts_enabled() { return read_rflags() & (1u << 9); }

inline void invlpg(uint64_t va) { asm volatile("invlpg (%0)" : : "r"(va) : "memory"); }

// No stac/clac: the kernel never touches user pages through user
// addresses (user memory is copied through the direct map after a page
// table walk), so SMAP stays on without exceptions.

inline uint64_t rdtsc() {
  uint32_t lo, hi;
  asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
  return (static_cast<uint64_t>(hi) << 32) | lo;
}
// Without the fence: where no earlier load or store needs to be ordered
// before the read (the scheduler's CPU-time charge on every switch).
inline uint64_t rdtsc_unordered() {
  uint32_t lo, hi;
  asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

struct CpuidRegs {
  uint32_t eax, ebx, ecx, edx;
};
inline CpuidRegs cpuid(uint32_t leaf, uint32_t sub = 0) {
  CpuidRegs r;
  asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(sub));
  return r;
}

[[noreturn]] inline void halt_forever() {
  for (;;) {
    cli();
    hlt();
  }
}

// Interrupt-disabling guard; restores the previous IF state.
class IrqGuard {
 public:
  IrqGuard() : was_enabled_(interrupts_enabled()) { cli(); }
  ~IrqGuard() {
    if (was_enabled_) sti();
  }
  IrqGuard(const IrqGuard&) = delete;
  IrqGuard& operator=(const IrqGuard&) = delete;

 private:
  bool was_enabled_;
};

constexpr uint32_t MSR_EFER = 0xC0000080;
constexpr uint32_t MSR_APIC_BASE = 0x1B;
constexpr uint32_t MSR_FS_BASE = 0xC0000100;
constexpr uint32_t MSR_GS_BASE = 0xC0000101;
constexpr uint32_t MSR_KERNEL_GS_BASE = 0xC0000102;

}  // namespace capos::arch
