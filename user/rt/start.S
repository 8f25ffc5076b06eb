// Process entry (ABI: docs/abi.md): rdi = ring address, rsi = pid,
// rdx = CapSet address; rsp = USER_STACK_TOP (16-byte aligned).
.text
.global _start
_start:
  xorl %ebp, %ebp          // terminates user backtraces
  andq $-16, %rsp
  call capos_rt_start      // never returns
  ud2
