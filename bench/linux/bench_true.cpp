// The "tiny static binary" spawned by the posix_spawn_wait row: no libc,
// one page of code, exits 0 immediately. It measures the kernel's
// spawn/exec/exit/wait path, not C library start-up.
extern "C" [[noreturn]] void _start() {
  __asm__ volatile("mov $60, %%eax\n\txor %%edi, %%edi\n\tsyscall" ::: "rax", "rdi", "rcx", "r11",
                   "memory");
  __builtin_unreachable();
}
