// Interrupt entry stubs for all 256 vectors. Each stub normalizes the
// stack (pushing 0 where the CPU pushes no error code), pushes its vector,
// and jumps to a common path that saves the general registers as an
// InterruptFrame (interrupt_frame.h) and calls interrupt_dispatch.

.macro STUB vec
  .balign 16
isr_stub_\vec:
  .if (\vec == 8 || (\vec >= 10 && \vec <= 14) || \vec == 17 || \vec == 21 || \vec == 29 || \vec == 30)
  .else
    pushq $0
  .endif
  pushq $\vec
  jmp isr_common
.endm

.text
isr_common:
  pushq %rax
  pushq %rbx
  pushq %rcx
  pushq %rdx
  pushq %rsi
  pushq %rdi
  pushq %rbp
  pushq %r8
  pushq %r9
  pushq %r10
  pushq %r11
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  cld
  // From user mode: switch to the kernel GS base.
  testb $3, 18*8(%rsp)
  jz 1f
  swapgs
1:
  movq %rsp, %rdi
  // Frame pointer chain for backtraces: fake frame of the interrupted code.
  movq 17*8(%rsp), %rax
  pushq %rax
  pushq %rbp
  movq %rsp, %rbp
  call interrupt_dispatch
  addq $16, %rsp
  testb $3, 18*8(%rsp)
  jz 2f
  swapgs
2:
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %r11
  popq %r10
  popq %r9
  popq %r8
  popq %rbp
  popq %rdi
  popq %rsi
  popq %rdx
  popq %rcx
  popq %rbx
  popq %rax
  addq $16, %rsp
  iretq

.altmacro
.set i, 0
.rept 256
  STUB %i
  .set i, i + 1
.endr

.section .rodata
.balign 8
.global isr_stub_table
isr_stub_table:
.macro STUBREF vec
  .quad isr_stub_\vec
.endm
.set i, 0
.rept 256
  STUBREF %i
  .set i, i + 1
.endr
