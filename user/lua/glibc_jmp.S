/* glibc's names for setjmp/longjmp (glibc's jmp_buf is larger than
   newlib's, so newlib's fits in what glibc code reserves). Tail jumps keep
   the caller's frame, which is what setjmp must record. */
  .text
  .globl _setjmp
_setjmp:
  jmp setjmp
  .globl __longjmp_chk
__longjmp_chk:
  jmp longjmp
  .section .note.GNU-stack,"",@progbits
