#include "kernel/arch/x86_64/syscall.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/debug/panic.h"
#include "lib/core/cstring.h"

extern "C" void syscall_entry();

namespace capos::arch {

namespace {
constexpr uint32_t MSR_STAR = 0xC0000081, MSR_LSTAR = 0xC0000082, MSR_FMASK = 0xC0000084;
alignas(16) uint8_t g_default_fpu[FPU_AREA_BYTES];
}  // namespace

void syscall_init() {
  wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1);  // SCE
  // SYSCALL: CS = 0x08, SS = 0x10. SYSRET: CS = 0x10 + 16 = 0x20|3, SS = 0x10 + 8 = 0x18|3.
  wrmsr(MSR_STAR, (uint64_t{0x10} << 48) | (uint64_t{KERNEL_CS} << 32));
  wrmsr(MSR_LSTAR, reinterpret_cast<uint64_t>(&syscall_entry));
  // Clear IF, TF, DF, AC (SMAP stays enforced), NT on entry.
  wrmsr(MSR_FMASK, (1u << 9) | (1u << 8) | (1u << 10) | (1u << 18) | (1u << 14));
}

void fpu_init() {
  fpu_init_this_cpu();
  fpu_save(g_default_fpu);  // clean state every new thread starts from
}

void fpu_init_this_cpu() {
  uint64_t cr0 = read_cr0();
  cr0 &= ~(1ull << 2);  // EM off
  cr0 |= 1ull << 1;     // MP
  cr0 &= ~(1ull << 3);  // TS off: no lazy switching, state is saved eagerly
  write_cr0(cr0);
  write_cr4(read_cr4() | (1ull << 9) | (1ull << 10));  // OSFXSR | OSXMMEXCPT
  asm volatile("fninit");
}

void fpu_init_area(void* area) { memcpy(area, g_default_fpu, FPU_AREA_BYTES); }

}  // namespace capos::arch

extern "C" [[noreturn]] void syscall_bad_return(capos::arch::SyscallFrame* f) {
  capos::panic("sysret to non-canonical rip {:#x} refused", f->rip);
}
