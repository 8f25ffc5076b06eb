// A schedulable thread: kernel stack, saved context, FPU image, and the
// state of a blocking cap_enter. User threads belong to a Process.
#pragma once

#include <stdint.h>

#include "kernel/arch/x86_64/syscall.h"
#include "kernel/mm/paging.h"
#include "kernel/sched/budget.h"
#include "lib/core/intrusive_list.h"

namespace capos {

class KObject;
class Process;
class ThreadWatch;

enum class ThreadState : uint8_t { Runnable, Running, Blocked, Dead };

class Thread {
 public:
  static constexpr uint64_t KSTACK_PAGES = 4;  // 16 KiB per thread (plus a guard page)
  ListNode sched_node;  // run queue, or the dead list
  ListNode wait_node;   // cap_enter waiters
  Process* process = nullptr;  // null for kernel threads
  uint64_t saved_rsp = 0;
  paging::KernelStack kstack{};
  ThreadState state = ThreadState::Blocked;  // until make_runnable()
  uint32_t tid = 0;
  uint8_t slot = 0;         // index in its process: ring at abi::ring_vaddr(slot)
  uint8_t cpu = 0;          // the CPU it runs on (Running) or last ran on
  bool last_of_process = false;  // the reaper frees the process after this thread
  bool exit_requested = false;   // ThreadControl.exitThread: leave at exit_to_user
  int64_t exit_code = 0;
  uint64_t fs_base = 0;     // MSR_FS_BASE while it runs (TLS)
  // Weighted fair queueing (kernel/sched/fair_queue.h): CPU cycles used
  // divided by the weight, and the factor for that division.
  uint64_t vruntime = 0;
  uint32_t vr_scale = 1u << 20;  // sched::scale_for(WEIGHT_DEFAULT)
  // Its SchedulingContext (kernel/objects/sched_context_cap.h; a counted
  // reference, null = the process default weight and no budget) and that
  // context's budget accounting (kernel/sched/budget.h).
  KObject* sched_ctx = nullptr;
  sched::Budget* budget = nullptr;
  uint64_t cpu_cycles = 0;       // TSC cycles on the CPU in total (diagnostics, tests)
  uint64_t charged_bytes = 0;    // KernelBytes its process pays for it (0: part of the fixed charge)
  ThreadWatch* watch = nullptr;  // join state shared with ThreadHandles (a counted reference)
  const char* name = "";
  // Blocking cap_enter: woken when the ring has `wait_min` CQEs or at the
  // deadline (monotonic ns; ~0 = none).
  bool in_cap_enter = false;
  uint32_t wait_min = 0;
  uint64_t wait_deadline = ~0ull;
  // Endpoint direct switch (sched::handoff, docs/ipc.md): a thread blocked
  // in cap_enter that a CALL or RETURN in this thread's cap_enter drain
  // satisfied, left Blocked; it runs next on this CPU without the run
  // queue when this thread blocks, or goes to the queue front when this
  // cap_enter returns instead.
  Thread* switch_next = nullptr;
  void* call_ctx = nullptr;  // CallContext of a kernel-cap dispatch in progress
  alignas(16) uint8_t fpu[arch::FPU_AREA_BYTES];

  // A user thread whose first run enters ring 3 at `rip` with the given
  // stack and entry arguments (rdi, rsi, rdx).
  static Result<Thread*> create_user(Process* p, uint64_t rip, uint64_t rsp, uint64_t a0, uint64_t a1,
                                     uint64_t a2);
  // A kernel thread running fn(arg).
  static Result<Thread*> create_kernel(const char* name, void (*fn)(void*), void* arg);
  // Frees the kernel stack and the Thread (never the running thread).
  static void destroy(Thread* t);
};

}  // namespace capos
