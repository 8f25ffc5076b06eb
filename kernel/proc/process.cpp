#include "kernel/proc/process.h"

#include "kernel/proc/thread_watch.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/dev/power.h"
#include "kernel/dev/hwrng.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/paging.h"
#include "kernel/sched/fair_queue.h"
#include "kernel/sched/kernel_lock.h"
#include "kernel/sched/scheduler.h"
#include "lib/abi/layout.h"
#include "lib/core/cstring.h"
#include "lib/elf/loader.h"

namespace capos {

namespace {

uint32_t g_next_pid = 1;
IntrusiveList<Process, &Process::all_node> g_processes CAPOS_GUARDED_BY(g_kernel_lock);

const char* const VECTOR_NAMES[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid TSS", "segment not present",
    "stack-segment fault", "general protection fault", "page fault", "reserved", "x87 FP error",
    "alignment check", "machine check", "SIMD FP error", "virtualization", "control protection",
    "reserved", "reserved", "reserved", "reserved", "reserved", "reserved", "hypervisor injection",
    "VMM communication", "security", "reserved"};

void on_user_fault(arch::InterruptFrame& f) {
  g_kernel_lock.assert_held();  // taken by interrupt_dispatch for everything from user mode
  Thread* t = sched::current();
  if (!t || !t->process) panic("user-mode exception {} without a current process", f.vector);
  // A not-present fault in a demand-zero region: map the page and retry.
  if (f.vector == 14 && !(f.error_code & 1)) {
    Status in = t->process->address_space().fault_in(UserAddr(arch::read_cr2()));
    if (in) return;
    if (in.error() == Err::OutOfMemory)
      klog("capOS: process {} ({}): no memory left for demand-zero page {:#x}\n", t->process->pid(),
           t->process->name(), arch::read_cr2());
  }
  ExitStatus st;
  st.kind = ExitStatus::Kind::Faulted;
  st.vector = static_cast<uint32_t>(f.vector);
  st.error_code = f.error_code;
  st.fault_addr = f.vector == 14 ? arch::read_cr2() : 0;
  st.rip = f.rip;
  arch::sti();  // teardown may block on nothing but must not run with IRQs off for long
  t->process->exit_self(st);
}

// init ending ends the system: the machine powers off, and under QEMU's
// debug-exit device the exit status says how init ended.
[[noreturn]] void shutdown_after_init(const ExitStatus& st) {
  klog("capOS: init ended; {} frames free; shutting down\n", frames::free_count());
  uint8_t code = st.kind != ExitStatus::Kind::Exited ? debug_exit::INIT_FAULTED
                 : st.code == 0                      ? debug_exit::SUCCESS
                                                     : debug_exit::INIT_FAILED;
  Status off = power::power_off(code);
  klog("capOS: cannot power off ({}); halting\n", err_name(off.error()));
  arch::halt_forever();
}

// Heir of a shared object's frame charge: the first other live process
// (creation order) that holds a capability to it or maps it. A bounded
// scan, run only when a payer exits while its object lives on.
AddressSpace* find_heir(const KObject* object, const AddressSpace* dying) {
  g_kernel_lock.assert_held();  // reached through AddressSpace's hook, which the analysis cannot follow
  for (Process* p = g_processes.front(); p; p = g_processes.next(p)) {
    if (&p->address_space() == dying) continue;
    if (p->caps().holds(object) || p->address_space().maps(object)) return &p->address_space();
  }
  return nullptr;
}

}  // namespace

void process_init() {
  arch::set_user_fault_handler(on_user_fault);
  AddressSpace::set_heir_finder(find_heir);
}


uint32_t Process::live_count() {
  return static_cast<uint32_t>(g_processes.size());
}

uint32_t Process::snapshot(Process** out, uint32_t max, uint32_t offset, uint32_t* total) {
  *total = static_cast<uint32_t>(g_processes.size());
  uint32_t i = 0, n = 0;
  for (Process* p = g_processes.front(); p && n < max; p = g_processes.next(p), ++i)
    if (i >= offset) out[n++] = p;
  return n;
}

namespace {
// What a failed build ran out of (its steps fail with these Errs only).
const char* build_failure(Err e) {
  switch (e) {
    case Err::OutOfMemory: return "no kernel memory or frames to build the process";
    case Err::LimitExceeded: return "the TLS segment is larger than TLS_MAX_BYTES";
    default: return "the image, stack, ring or thread exceed the process's quotas";
  }
}
}  // namespace

Result<Process*, DetailedErr> Process::create(StrView name, Bytes elf_image, const ResourceLedger::Limits* limits) {
  // The image is checked before anything is allocated for it.
  auto plan = elf::plan_load(elf_image);
  if (!plan) return fail(plan.error().err(), plan.error().reason);
  void* mem = heap::alloc(sizeof(Process));
  if (!mem) return fail(Err::OutOfMemory, "no kernel memory for the process");
  Process* p = new (mem) Process();
  if (limits) {
    for (int i = 0; i < ResourceLedger::N; ++i) p->ledger_.set_limit(static_cast<Res>(i), limits->max[i]);
  }
  Status st = p->build(name, elf_image, *plan);
  if (!st) {
    p->drop_unstarted_main();
    p->teardown();
    p->~Process();
    heap::free(mem);
    return fail(st.error(), build_failure(st.error()));
  }
  g_processes.push_back(p);
  return p;
}

uint64_t Process::fixed_kernel_bytes() {
  return sizeof(Process) + sizeof(Thread) + Thread::KSTACK_PAGES * abi::PAGE_SIZE + sizeof(ExitWatch) +
         sizeof(Session);
}

Status Process::build(StrView name, Bytes elf_image, const elf::LoadPlan& plan) {
  pid_ = __atomic_fetch_add(&g_next_pid, 1, __ATOMIC_RELAXED);
  CAPOS_TRY(ledger_.reserve(Res::KernelBytes, fixed_kernel_bytes())).commit();
  fixed_charged_ = true;
  // One draw for both secrets a process gets: its session's and its
  // initial thread's stack-protector canary.
  uint64_t secrets[2];
  hwrng::best_effort128(secrets);
  session_ = Session::create(pid_, secrets[0]);  // fresh unless the spawner shares one
  if (!session_) return fail(Err::OutOfMemory);
  size_t n = min(name.size(), size_t{NAME_MAX - 1});
  memcpy(name_, name.ptr, n);
  name_[n] = '\0';

  watch_ = ExitWatch::create(this, StrView(name_));
  if (!watch_) return fail(Err::OutOfMemory);
  watch_->set_pid(pid_);
  CAPOS_TRY_STATUS(as_.init(&ledger_));
  CAPOS_TRY_STATUS(load_image(elf_image, plan));
  uint64_t entry = plan.entry;

  CAPOS_TRY_STATUS(map_ring(0));

  CAPOS_TRY_STATUS(as_.map_anonymous(UserAddr(abi::CAPSET_VADDR), 1, UserProt{true, false, false}, VmaKind::CapSet));
  capset_ = static_cast<abi::CapSetHeader*>(frames::phys_to_virt(CAPOS_TRY(as_.frame_of(UserAddr(abi::CAPSET_VADDR)))));
  *capset_ = abi::CapSetHeader{abi::CAPSET_MAGIC, abi::CAPSET_VERSION, 0, 0};

  InitialTls tls = CAPOS_TRY(initial_tls_layout(plan));
  uint64_t stack_pages = abi::USER_STACK_DEFAULT_PAGES + tls.pages;
  CAPOS_TRY_STATUS(as_.map_anonymous(UserAddr(abi::USER_STACK_TOP - stack_pages * abi::PAGE_SIZE), stack_pages,
                                     UserProt{true, true, false}, VmaKind::Stack, /*lazy=*/true));
  CAPOS_TRY_STATUS(build_initial_tls(plan, tls, secrets[1]));

  Reservation thread_charge = CAPOS_TRY(ledger_.reserve(Res::Threads, 1));
  Thread* t = CAPOS_TRY(
      Thread::create_user(this, entry, tls.sp, abi::ring_vaddr(0), pid_, abi::CAPSET_VADDR));
  thread_charge.commit();
  t->name = name_;
  t->slot = 0;
  t->fs_base = tls.tp;
  threads_[0] = t;
  thread_count_ = 1;
  return {};
}

Status Process::map_ring(uint32_t slot) {
  UserAddr va(abi::ring_vaddr(slot));
  bool fresh = !(rings_mapped_ & (1ull << slot));  // map_anonymous hands out zeroed frames
  if (fresh) {
    CAPOS_TRY_STATUS(as_.map_anonymous(va, 1, UserProt{true, true, false}, VmaKind::Ring));
    rings_mapped_ |= 1ull << slot;
  }
  // A reused slot starts clean: its old thread's records are all gone.
  rings_[slot] = RingEngine(static_cast<abi::RingPage*>(frames::phys_to_virt(CAPOS_TRY(as_.frame_of(va)))));
  rings_[slot].init_page(fresh);
  return {};
}

// Variant II (docs/threads.md): [TLS block][TCB], FS base = TCB, at the
// top of the initial stack region (the stack starts right below the
// block; the region grows by the pages they take, so the usable stack
// stays the default). The linker placed every variable at a fixed offset
// below the TCB computed from PT_TLS's own alignment, so the block is
// exactly memsz rounded up to it; the TCB is also 16-byte aligned.
Result<Process::InitialTls> Process::initial_tls_layout(const elf::LoadPlan& plan) {
  uint64_t mem = plan.has_tls ? plan.tls.mem_size : 0;
  uint64_t align = plan.has_tls && plan.tls.align > 1 ? plan.tls.align : 1;
  if (mem > abi::TLS_MAX_BYTES) return fail(Err::LimitExceeded);
  InitialTls l;
  l.block = align_up(mem, align);
  l.tp = align_down(abi::USER_STACK_TOP - abi::TCB_BYTES, align > 16 ? align : 16);
  uint64_t start = l.tp - l.block;
  l.sp = align_down(start, 16);
  l.pages = align_up(abi::USER_STACK_TOP - align_down(start, abi::PAGE_SIZE), abi::PAGE_SIZE) / abi::PAGE_SIZE;
  return l;
}

// The block is a copy of the PT_TLS image (already loaded at its vaddr)
// followed by zeros (the demand-zero stack); the TCB holds its own
// address and a stack-protector canary. A program without PT_TLS still
// gets a TCB, so the runtime's per-thread words work everywhere.
Status Process::build_initial_tls(const elf::LoadPlan& plan, const InitialTls& l, uint64_t canary) {
  if (plan.has_tls && plan.tls.file_size)
    CAPOS_TRY_STATUS(AddressSpace::copy_between(as_, UserIn(UserAddr(plan.tls.vaddr), plan.tls.file_size), as_,
                                                UserOut(UserAddr(l.tp - l.block), l.block)));
  uint64_t tcb[abi::TCB_RUNTIME / 8] = {};
  tcb[abi::TCB_SELF / 8] = l.tp;
  tcb[abi::TCB_CANARY / 8] = canary;
  return as_.kernel_write(UserAddr(l.tp), Bytes(reinterpret_cast<const uint8_t*>(tcb), sizeof(tcb)));
}

Status Process::load_image(Bytes image, const elf::LoadPlan& plan) {
  for (const elf::Segment& s : plan.segment_span()) {
    UserProt prot{s.readable(), s.writable(), s.executable()};
    // Pages holding file bytes are filled now; the pure-bss tail is
    // demand-zero (a runtime's static heap arena costs nothing untouched).
    uint64_t pages = s.mem_size / abi::PAGE_SIZE;
    uint64_t file_pages = min(pages, align_up(s.page_offset + s.file_size, abi::PAGE_SIZE) / abi::PAGE_SIZE);
    UserAddr va(s.vaddr);
    Bytes file = CAPOS_TRY(image.subspan(s.file_offset, s.file_size));
    if (file_pages) CAPOS_TRY_STATUS(as_.map_image(va, file_pages, prot, s.page_offset, file));
    if (pages > file_pages)
      CAPOS_TRY_STATUS(as_.map_anonymous(va + file_pages * abi::PAGE_SIZE, pages - file_pages, prot,
                                         VmaKind::Image, /*lazy=*/true));
  }
  return {};
}

Status Process::grant(StrView name, Ref<KObject> obj, uint64_t interface_id, uint8_t flags) {
  if (name.empty() || name.size() > abi::CAPSET_NAME_MAX) return fail(Err::InvalidArgument);
  if (capset_->count >= abi::CAPSET_MAX_ENTRIES) return fail(Err::Overloaded);
  uint32_t id = CAPOS_TRY(caps_.insert(move(obj), interface_id, flags));
  auto* entries = reinterpret_cast<abi::CapSetEntry*>(capset_ + 1);
  abi::CapSetEntry& e = entries[capset_->count];
  memset(&e, 0, sizeof(e));
  memcpy(e.name, name.ptr, name.size());
  e.cap_id = id;
  e.interface_id = interface_id;
  capset_->count = capset_->count + 1;
  return {};
}

void Process::drop_unstarted_main() {
  if (Thread* t = threads_[0]) {
    Thread::destroy(t);
    threads_[0] = nullptr;
    thread_count_ = 0;
    ledger_.release(Res::Threads, 1);
  }
}

void Process::discard(Process* p) {
  g_processes.remove(p);
  p->drop_unstarted_main();
  p->teardown();
  ExitStatus st;
  st.kind = ExitStatus::Kind::Killed;
  p->watch_->publish(st);
  p->~Process();
  heap::free(p);
}

Status Process::ensure_scratch() {
  if (scratch_) return {};
  Reservation charge = CAPOS_TRY(ledger_.reserve(Res::KernelBytes, 2 * SCRATCH_BYTES));
  scratch_ = static_cast<uint8_t*>(heap::alloc(2 * SCRATCH_BYTES));
  if (!scratch_) return fail(Err::OutOfMemory);
  charge.commit();
  return {};
}

void Process::start() { sched::make_runnable(threads_[0]); }

void Process::request_kill() {
  __atomic_store_n(&kill_requested_, true, __ATOMIC_RELEASE);
  arch::IrqGuard irq;
  for (Thread* t : threads_) {
    if (t && t->state == ThreadState::Blocked) sched::make_runnable(t);
    else if (t && t->state == ThreadState::Running) sched::kick(t);  // on another CPU: notice now, not at its next tick
  }
}

void process_check_killed() {
  Thread* t = sched::current();
  if (!t || !t->process) return;
  if (t->process->kill_requested()) {
    ExitStatus st;
    st.kind = ExitStatus::Kind::Killed;
    arch::sti();
    t->process->exit_self(st);
  }
  if (t->exit_requested) {
    arch::sti();
    t->process->exit_thread(t->exit_code);
  }
}

Result<Thread*> Process::spawn_thread(uint64_t entry, uint64_t stack_top, uint64_t arg, uint64_t fs_base) {
  if (dying_ || kill_requested()) return fail(Err::Disconnected);
  uint32_t slot = 0;
  while (slot < abi::MAX_THREADS && threads_[slot]) ++slot;
  if (slot == abi::MAX_THREADS) return fail(Err::Overloaded);
  // Everything is reserved before anything exists; a failure rolls back.
  Reservation count = CAPOS_TRY(ledger_.reserve(Res::Threads, 1));
  uint64_t bytes = sizeof(Thread) + Thread::KSTACK_PAGES * abi::PAGE_SIZE;
  Reservation kbytes = CAPOS_TRY(ledger_.reserve(Res::KernelBytes, bytes));
  CAPOS_TRY_STATUS(map_ring(slot));  // the page stays with the slot (FramePages)
  Thread* t = CAPOS_TRY(Thread::create_user(this, entry, stack_top, arg, abi::ring_vaddr(slot), 0));
  count.commit();
  kbytes.commit();
  t->name = name_;
  t->slot = static_cast<uint8_t>(slot);
  t->fs_base = fs_base;
  t->charged_bytes = bytes;
  t->vr_scale = sched::scale_for(weight_);
  bind_thread_sched(t, sched_ctx_.get(), budget_, weight_);
  threads_[slot] = t;
  ++thread_count_;
  return t;
}

void Process::set_weight(uint32_t weight) {
  weight_ = weight < sched::WEIGHT_MIN ? sched::WEIGHT_MIN : weight > sched::WEIGHT_MAX ? sched::WEIGHT_MAX : weight;
  for (Thread* t : threads_)
    if (t) t->vr_scale = sched::scale_for(weight_);
}

void Process::bind_sched(KObject* ctx, sched::Budget* b, uint32_t weight) {
  sched_ctx_ = Ref<KObject>::share(ctx);
  budget_ = b;
  weight_ = weight;
  for (Thread* t : threads_)
    if (t) bind_thread_sched(t, ctx, b, weight);
}

void bind_thread_sched(Thread* t, KObject* ctx, sched::Budget* b, uint32_t weight) {
  if (!ctx) return;
  ctx->retain();
  if (t->sched_ctx) t->sched_ctx->release();
  t->sched_ctx = ctx;
  t->budget = b;
  t->vr_scale = sched::scale_for(weight);
}

void Process::exit_thread(int64_t code) {
  Thread* t = sched::current();
  if (t->process != this) panic("exit_thread: not a thread of process {}", pid_);
  if (thread_count_ == 1 && !dying_) {  // the last thread: the process exits with its code
    ExitStatus st;
    st.kind = ExitStatus::Kind::Exited;
    st.code = code;
    exit_self(st);
  }
  leave(t, code);
}

void Process::leave(Thread* t, int64_t code) {
  if (!dying_) {
    // Only this thread goes: its own calls, RECVs and parks end with it.
    ipc::thread_exiting(*this, t->slot);
  }
  if (t->watch) {
    t->watch->publish(code);
    ThreadWatch::drop(t->watch);
    t->watch = nullptr;
  }
  threads_[t->slot] = nullptr;
  --thread_count_;
  ledger_.release(Res::Threads, 1);
  if (t->charged_bytes) ledger_.release(Res::KernelBytes, t->charged_bytes);
  t->charged_bytes = 0;
  if (thread_count_ == 0) {
    teardown();
    if (!ledger_.empty()) panic("process {} ({}) leaked ledger charges at exit", pid_, name_);
    g_processes.remove(this);
    if (shutdown_on_exit_) shutdown_after_init(status_);
    watch_->publish(status_);
    t->last_of_process = true;  // the reaper frees this process after the thread
  }
  sched::exit_current();
}

void Process::teardown() {
  // The session this process created ends with it (sharers see not-live).
  if (session_ && session_->owner_pid() == pid_) session_->end();
  ipc::process_exiting(*this);  // before caps: releasing them may kill endpoints
  caps_.clear();
  ipc::process_reaped(*this);
  // Never free page tables a CPU is running on: this one, or another that
  // still has them loaded (an idle CPU keeps the last process's tables).
  if (as_.root()) arch::tlb::leave(as_.root(), as_.residency());
  as_.destroy();
  if (scratch_) {
    heap::free(scratch_);
    ledger_.release(Res::KernelBytes, 2 * SCRATCH_BYTES);
  }
  scratch_ = nullptr;
  // The records themselves go right after (the reaper frees this one).
  if (fixed_charged_) ledger_.release(Res::KernelBytes, fixed_kernel_bytes());
  fixed_charged_ = false;
}

void Process::exit_self(const ExitStatus& status) {
  if (!dying_) {
    dying_ = true;
    status_ = status;
    log_exit(status);
    // Every other thread leaves at its next kernel exit (blocked ones are
    // woken); the last one out tears the process down.
    request_kill();
  }
  leave(sched::current(), status.kind == ExitStatus::Kind::Exited ? status.code : -1);
}

void Process::log_exit(const ExitStatus& status) {
  switch (status.kind) {
    case ExitStatus::Kind::Faulted:
      if (status.vector == 14)
        klog("capOS: process {} ({}) killed: page fault (error {:#x}) at address {:#x}, rip {:#x}\n", pid_,
             name_, status.error_code, status.fault_addr, status.rip);
      else
        klog("capOS: process {} ({}) killed: {} (vector {}, error {:#x}), rip {:#x}\n", pid_, name_,
             status.vector < 32 ? VECTOR_NAMES[status.vector] : "?", status.vector, status.error_code,
             status.rip);
      break;
    case ExitStatus::Kind::Exited:
      klog("capOS: process {} ({}) exited with status {}\n", pid_, name_, status.code);
      break;
    default:
      klog("capOS: process {} ({}) killed\n", pid_, name_);
      break;
  }
}

Process::~Process() = default;

void process_thread_reaped(Process* p) {
  p->~Process();
  heap::free(p);
}

}  // namespace capos
