// Process entry (ABI: docs/abi.md): rdi = ring address, rsi = pid,
// rdx = CapSet address; rsp = USER_STACK_TOP (16-byte aligned).
.text
.global _start
_start:
  xorl %ebp, %ebp          // terminates user backtraces
  andq $-16, %rsp
  call capos_rt_start      // never returns
  ud2

// Thread entry (ThreadSpawner.spawn, ABI: docs/abi.md): rdi = arg (the
// runtime's thread block), rsi = this thread's ring, rdx = thread id;
// rsp = the stack top the runtime chose (16-byte aligned).
.global capos_rt_thread_entry
capos_rt_thread_entry:
  xorl %ebp, %ebp
  andq $-16, %rsp
  call capos_rt_thread_main  // never returns
  ud2
