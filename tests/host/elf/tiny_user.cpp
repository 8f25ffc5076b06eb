// A minimal freestanding user program, linked by the same clang/lld as the
// kernel. The host test only validates it with plan_load (never runs it);
// it has text, rodata, data, bss and TLS so every segment kind appears.
extern "C" {
const char message[] = "capOS tiny user program";  // .rodata
int counter = 1;                                     // .data
char scratch[8192];                                  // .bss spanning pages
thread_local int tls_value = 7;                      // .tdata (4 bytes)
thread_local int tls_zero;                           // .tbss  (4 bytes)

// _start goes first in .text (tiny_user.ld), so the entry is exactly 0x401000.
[[noreturn]] __attribute__((section(".text._start"), used)) void _start() {
  for (;;) {
    scratch[counter & 8191] = message[counter % sizeof message];
    counter += tls_value + tls_zero;
    asm volatile("pause" ::: "memory");
  }
}
}
