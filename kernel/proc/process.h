// A user process: address space, capability table, resource ledger,
// CapSet page, park space and its threads (each with its own ring page;
// docs/threads.md). A process ends when its last thread leaves.
#pragma once

#include <stdint.h>

#include "kernel/cap/cap_table.h"
#include "kernel/cap/ledger.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/proc/address_space.h"
#include "kernel/proc/exit_watch.h"
#include "kernel/proc/park_space.h"
#include "kernel/proc/session.h"
#include "kernel/proc/thread.h"
#include "kernel/ring/ring_engine.h"
#include "lib/abi/capset.h"
#include "lib/abi/layout.h"
#include "lib/core/cstring.h"
#include "lib/core/intrusive_list.h"
#include "lib/elf/loader.h"
#include "lib/mm/shared_image.h"

namespace capos {

struct ExitStatus {
  enum class Kind : uint8_t { Running, Exited, Faulted, Killed };
  Kind kind = Kind::Running;
  int64_t code = 0;           // Exited: the exit() argument
  uint32_t vector = 0;        // Faulted: CPU exception vector
  uint64_t error_code = 0;
  uint64_t fault_addr = 0;    // page faults: CR2
  uint64_t rip = 0;
};

class Process {
 public:
  static constexpr uint32_t CAP_SLOTS = 256;
  static constexpr uint32_t NAME_MAX = 32;
  // Per-process bounce buffers for CALL params and results (kernel caps).
  // 16 KiB of payload (e.g. a maxBootPackageChunk read) plus message framing.
  static constexpr uint32_t SCRATCH_BYTES = 16384 + 1024;

  // Builds the process from a static ELF image; nothing runs until start().
  // A failure's detail names the ELF rule the image broke, or the step
  // that ran out of memory or quota.
  // `limits` (default: the kernel defaults) are the ledger quotas from the
  // start, so the image's private pages (data, bss), ring and CapSet pages
  // count against them too. Its read-only segments map the frames every
  // process of `elf_image` shares (kernel/proc/shared_image.h), so the
  // image's bytes must stay unchanged until the machine stops: a boot
  // package binary or a boot module (every caller's image is one).
  static Result<Process*, DetailedErr> create(StrView name, Bytes elf_image,
                                              const ResourceLedger::Limits* limits = nullptr)
      CAPOS_REQUIRES(g_kernel_lock);
  // Grants an initial capability and lists it in the CapSet page.
  Status grant(StrView name, Ref<KObject> obj, uint64_t interface_id, uint8_t flags = 0);
  void start() CAPOS_REQUIRES(g_kernel_lock);
  // Destroys a process that was never started (spawn rollback).
  static void discard(Process* p) CAPOS_REQUIRES(g_kernel_lock);
  // Exit status holder shared with ProcessHandles.
  ExitWatch* watch() const { return watch_.get(); }
  Ref<ExitWatch> share_watch() const { return watch_; }
  // Asks another process to die (status Killed); takes effect at each
  // thread's next kernel entry or wakeup (blocked threads are woken).
  void request_kill() CAPOS_REQUIRES(g_kernel_lock);
  bool kill_requested() const { return __atomic_load_n(&kill_requested_, __ATOMIC_ACQUIRE); }
  // The kernel shuts the machine down when this process ends (init).
  void set_shutdown_on_exit() { shutdown_on_exit_ = true; }

  // Ends the calling process (must be one of its threads); never returns.
  // The first status recorded wins; every other thread leaves at its next
  // kernel exit and the last one out tears the process down.
  [[noreturn]] void exit_self(const ExitStatus& status) CAPOS_REQUIRES(g_kernel_lock);
  // Ends only the calling thread (ThreadControl.exitThread); the last
  // thread's exit ends the process with `code`.
  [[noreturn]] void exit_thread(int64_t code) CAPOS_REQUIRES(g_kernel_lock);
  // ThreadSpawner.spawn: a new thread entering ring 3 at `entry` with the
  // thread-start registers of docs/abi.md. Charged to Threads and
  // KernelBytes; its ring page to FramePages (first use of the slot).
  Result<Thread*> spawn_thread(uint64_t entry, uint64_t stack_top, uint64_t arg, uint64_t fs_base)
      CAPOS_REQUIRES(g_kernel_lock);

  uint32_t pid() const { return pid_; }
  const char* name() const { return name_; }
  AddressSpace& address_space() { return as_; }
  RingEngine& ring(uint32_t slot) { return rings_[slot]; }
  // The live thread owning ring `slot`, or null.
  Thread* thread_in(uint32_t slot) const { return threads_[slot]; }
  uint32_t thread_count() const { return thread_count_; }
  ParkSpace& parks() { return parks_; }
  // Scheduling weight of every thread of the process (1..1024; a weight-4
  // process gets four times the CPU of a weight-1 one when both are busy).
  void set_weight(uint32_t weight) CAPOS_REQUIRES(g_kernel_lock);
  uint32_t weight() const { return weight_; }
  // Binds every thread of the process, and every thread it starts later,
  // to SchedulingContext `ctx` (its weight and budget `b`; docs/scheduling.md).
  void bind_sched(KObject* ctx, sched::Budget* b, uint32_t weight) CAPOS_REQUIRES(g_kernel_lock);
  // A spawned child without SpawnRequest.runOn runs on its spawner's
  // process context (nothing when the spawner is unbound).
  void inherit_sched(const Process& parent) CAPOS_REQUIRES(g_kernel_lock) {
    if (parent.sched_ctx_) bind_sched(parent.sched_ctx_.get(), parent.budget_, parent.weight_);
  }
  CapTable& caps() { return caps_; }
  ResourceLedger& ledger() { return ledger_; }
  const ExitStatus& status() const { return status_; }
  ProcessIpc& ipc() { return ipc_; }
  uint64_t session_id() const { return session_->id(); }
  // False once the process that created this session has ended.
  bool session_live() const { return session_->live(); }
  // Joins `parent`'s session instead of the fresh one made at create()
  // (SpawnRequest.shareSession); only before start().
  void share_session(const Process& parent) { session_ = parent.session_; }
  // Kernel-cap bounce buffers, allocated on the first kernel-cap CALL (a
  // process that only does IPC, or nothing, never pays for them); charged
  // to KernelBytes.
  Status ensure_scratch();
  // Kernel memory every process holds from creation to exit: this record,
  // its thread, the thread's kernel stack and its exit watch (charged to
  // its own KernelBytes; docs/memory.md).
  static uint64_t fixed_kernel_bytes();
  bool has_scratch() const { return scratch_ != nullptr; }
  uint8_t* params_scratch() { return scratch_; }
  uint8_t* results_scratch() { return scratch_ + SCRATCH_BYTES; }

  static uint32_t live_count() CAPOS_REQUIRES(g_kernel_lock);
  // Up to `max` live processes starting at `offset` (pid order of creation);
  // `total` receives the live count. For diagnostics (SystemStatus).
  static uint32_t snapshot(Process** out, uint32_t max, uint32_t offset, uint32_t* total) CAPOS_REQUIRES(g_kernel_lock);
  ListNode all_node;

 private:
  Process() : caps_(Span<CapSlot>(reinterpret_cast<CapSlot*>(slot_storage_), CAP_SLOTS), &ledger_) {}
  ~Process();
  Status build(StrView name, Bytes elf_image, const elf::LoadPlan& plan) CAPOS_REQUIRES(g_kernel_lock);
  Status load_image(Bytes elf_image, const elf::LoadPlan& plan) CAPOS_REQUIRES(g_kernel_lock);
  struct InitialTls {
    uint64_t block;  // TLS block bytes (below the TCB)
    uint64_t tp;     // TCB address = FS base
    uint64_t sp;     // initial stack pointer, right below the block
    uint64_t pages;  // stack-region pages the block and TCB take
  };
  static Result<InitialTls> initial_tls_layout(const elf::LoadPlan& plan);
  Status build_initial_tls(const elf::LoadPlan& plan, const InitialTls& l, uint64_t canary);
  // Frees the initial thread of a process that never ran (and its charge).
  void drop_unstarted_main();
  Status map_ring(uint32_t slot);
  // The thread-level half of leaving: its ring, its charges, its join
  // state; the last thread also tears the process down.
  [[noreturn]] void leave(Thread* t, int64_t code) CAPOS_REQUIRES(g_kernel_lock);
  void log_exit(const ExitStatus& status);
  void teardown() CAPOS_REQUIRES(g_kernel_lock);
  friend void process_thread_reaped(Process* p) CAPOS_REQUIRES(g_kernel_lock);

  uint32_t pid_ = 0;
  char name_[NAME_MAX] = {};
  ResourceLedger ledger_;
  // Raw: CapTable builds each slot when it first hands it out.
  alignas(CapSlot) unsigned char slot_storage_[CAP_SLOTS * sizeof(CapSlot)];
  CapTable caps_;
  AddressSpace as_;
  // The shared read-only pages as_ maps (null: none, or loaded privately);
  // released after as_ is destroyed.
  mm::SharedImage* shared_image_ = nullptr;
  RingEngine rings_[abi::MAX_THREADS];   // per thread slot (mapped on first use)
  uint64_t rings_mapped_ = 0;            // bit per slot whose ring page exists
  Thread* threads_[abi::MAX_THREADS] = {};
  uint32_t thread_count_ = 0;
  ParkSpace parks_;
  uint32_t weight_ = 1;
  Ref<KObject> sched_ctx_;             // bound SchedulingContext (null: none)
  sched::Budget* budget_ = nullptr;    // its accounting
  abi::CapSetHeader* capset_ = nullptr;  // kernel view of the CapSet page
  uint8_t* scratch_ = nullptr;
  ExitStatus status_;
  bool shutdown_on_exit_ = false;
  ProcessIpc ipc_;
  Ref<Session> session_;  // never null after build()
  Ref<ExitWatch> watch_;
  bool kill_requested_ = false;
  bool dying_ = false;  // exit_self ran: status_ is final, threads are leaving
  bool fixed_charged_ = false;
};

// Frees a dead process once its last thread is gone (called by the reaper).
void process_thread_reaped(Process* p) CAPOS_REQUIRES(g_kernel_lock);
// Binds `t` to SchedulingContext `ctx` (takes a reference; null: no change).
void bind_thread_sched(Thread* t, KObject* ctx, sched::Budget* b, uint32_t weight) CAPOS_REQUIRES(g_kernel_lock);
// Ends the current process if someone asked to kill it (called at kernel
// entry/exit points where the thread holds no locks).
void process_check_killed() CAPOS_REQUIRES(g_kernel_lock);
// Installs the handler that turns user-mode CPU exceptions into process death.
void process_init();

}  // namespace capos
