// Ring-3 boundary: SYSCALL entry/return, first entry of a new thread,
// and the kernel context switch. SyscallFrame layout: syscall.h.

.text
.global syscall_entry
syscall_entry:
  swapgs
  movq %rsp, %gs:0                 // user RSP
  movq %gs:8, %rsp                 // this thread's kernel stack top
  pushq %gs:0                      // user rsp
  pushq %r11                       // user rflags
  pushq %rcx                       // user rip
  // rbx and r12-r15 are callee-saved in the C ABI: syscall_dispatch and
  // everything it calls (a context switch included: arch::switch_stacks
  // names them clobbered, so the compiler keeps them on the kernel stack
  // across it) hand them back unchanged, so their slots are left unwritten and
  // the return below does not load them. rbp is saved: it is cleared for
  // backtraces. Only a new thread's first return reads the whole frame
  // (thread_user_trampoline).
  subq $40, %rsp                   // r15, r14, r13, r12, rbx
  pushq %rbp
  pushq %r9
  pushq %r8
  pushq %r10
  pushq %rdx
  pushq %rsi
  pushq %rdi
  pushq %rax                       // syscall number
  xorl %ebp, %ebp                  // backtraces stop at the user boundary
  movq %rsp, %rdi
  sti                              // blocking cap_enter needs the timer
  call syscall_dispatch            // rax = value for user rax
  cli
  movq 104(%rsp), %rcx             // user rip
  movabsq $0x00007FFFFFFFF000, %r11
  cmpq %r11, %rcx
  jae 1f                           // SYSRET to a non-canonical RIP faults in ring 0 (Intel)
  addq $8, %rsp                    // rax: the result instead
  popq %rdi
  popq %rsi
  popq %rdx
  popq %r10
  popq %r8
  popq %r9
  popq %rbp
  addq $48, %rsp                   // rbx, r12-r15 (live in their registers), rip (in rcx)
  popq %r11
  popq %rsp
  swapgs
  sysretq
1:
  movq %rsp, %rdi
  call syscall_bad_return          // does not return

// First run of a user thread: switch_frame_resume "returns" here with rsp at
// the thread's prepared SyscallFrame, every register taken from it.
.global thread_user_trampoline
thread_user_trampoline:
  call thread_first_run            // scheduler bookkeeping; returns 0
  cli
  movq 104(%rsp), %rcx             // user rip (ThreadSpawner's entry)
  movabsq $0x00007FFFFFFFF000, %r11
  cmpq %r11, %rcx
  jae 1b
  popq %rax
  popq %rdi
  popq %rsi
  popq %rdx
  popq %r10
  popq %r8
  popq %r9
  popq %rbp
  popq %rbx
  popq %r12
  popq %r13
  popq %r14
  popq %r15
  popq %rcx
  popq %r11
  popq %rsp
  swapgs
  sysretq

// First run of a kernel thread: r12 = function, r13 = argument.
.global thread_kernel_trampoline
thread_kernel_trampoline:
  call thread_first_run
  movq %r13, %rdi
  call *%r12
  ud2

// A new thread's first resume (arch::switch_stacks returns here; thread.cpp
// builds the SwitchFrame): loads the frame's callee-saved registers (a
// kernel thread's function and argument are in r12/r13) and returns into
// its trampoline.
.global switch_frame_resume
switch_frame_resume:
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
