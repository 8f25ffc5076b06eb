// Application-processor startup (docs/smp.md). The BSP copies this blob to
// physical AP_TRAMPOLINE (0x8000; the SIPI vector is its page number),
// fills the slots at its end and sends INIT-SIPI-SIPI. The AP runs it in
// real mode, switches to protected mode, then to long mode with the
// trampoline's own page tables (an identity map of the first 2 MiB plus
// the kernel's higher half), and jumps to the kernel entry in a slot with
// the stack in another. Everything is addressed as AP_TRAMPOLINE + offset.
#define AP_TRAMPOLINE 0x8000
#define OFF(sym) (AP_TRAMPOLINE + (sym - ap_trampoline_start))

.section .rodata
.balign 16
.global ap_trampoline_start, ap_trampoline_end
.global ap_slot_cr3, ap_slot_stack, ap_slot_entry, ap_slot_arg
ap_trampoline_start:
.code16
  cli
  cld
  xorw %ax, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  lgdtl OFF(tramp_gdt_ptr)
  movl %cr0, %eax
  orl $1, %eax                      // protection enable
  movl %eax, %cr0
  ljmpl $0x08, $OFF(tramp_pm32)

.code32
tramp_pm32:
  movw $0x10, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  movl %cr4, %eax
  orl $(1 << 5), %eax               // PAE
  movl %eax, %cr4
  movl OFF(ap_slot_cr3), %eax
  movl %eax, %cr3
  movl $0xC0000080, %ecx            // EFER
  rdmsr
  orl $((1 << 8) | (1 << 11)), %eax // LME, NXE (the kernel tables use NX)
  wrmsr
  movl %cr0, %eax
  orl $0x80010001, %eax             // PG, WP, PE
  movl %eax, %cr0
  ljmpl $0x18, $OFF(tramp_lm64)

.code64
tramp_lm64:
  movq OFF(ap_slot_stack), %rsp
  movq OFF(ap_slot_arg), %rdi
  movq OFF(ap_slot_entry), %rax
  jmpq *%rax

.balign 8
tramp_gdt:
  .quad 0
  .quad 0x00CF9A000000FFFF          // 0x08: 32-bit code
  .quad 0x00CF92000000FFFF          // 0x10: data
  .quad 0x00AF9A000000FFFF          // 0x18: 64-bit code
tramp_gdt_end:
tramp_gdt_ptr:
  .word tramp_gdt_end - tramp_gdt - 1
  .long OFF(tramp_gdt)
.balign 8
ap_slot_cr3:   .quad 0              // the trampoline page tables (below 4 GiB)
ap_slot_stack: .quad 0              // the AP's kernel stack top
ap_slot_entry: .quad 0              // kernel entry (higher half)
ap_slot_arg:   .quad 0              // its argument (the AP's PerCpu)
ap_trampoline_end:
