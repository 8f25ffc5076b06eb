#include "kernel/proc/process.h"

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
    Status in = t->process->address_space().fault_in(arch::read_cr2());
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

Result<Process*> Process::create(StrView name, Bytes elf_image, const char** diag,
                                 const ResourceLedger::Limits* limits) {
  void* mem = heap::alloc(sizeof(Process));
  if (!mem) return fail(Err::OutOfMemory);
  Process* p = new (mem) Process();
  if (limits) {
    for (int i = 0; i < ResourceLedger::N; ++i) p->ledger_.set_limit(static_cast<Res>(i), limits->max[i]);
  }
  Status st = p->build(name, elf_image, diag);
  if (!st) {
    if (p->thread_) Thread::destroy(p->thread_);
    p->teardown();
    p->~Process();
    heap::free(mem);
    return fail(st.error());
  }
  g_processes.push_back(p);
  return p;
}

uint64_t Process::fixed_kernel_bytes() {
  return sizeof(Process) + sizeof(Thread) + Thread::KSTACK_PAGES * abi::PAGE_SIZE + sizeof(ExitWatch) +
         sizeof(Session);
}

Status Process::build(StrView name, Bytes elf_image, const char** diag) {
  pid_ = __atomic_fetch_add(&g_next_pid, 1, __ATOMIC_RELAXED);
  CAPOS_TRY(ledger_.reserve(Res::KernelBytes, fixed_kernel_bytes())).commit();
  fixed_charged_ = true;
  session_ = Session::create(pid_, hwrng::best_effort64());  // fresh unless the spawner shares one
  if (!session_) return fail(Err::OutOfMemory);
  size_t n = min(name.size(), size_t{NAME_MAX - 1});
  memcpy(name_, name.ptr, n);
  name_[n] = '\0';

  watch_ = ExitWatch::create(this, StrView(name_));
  if (!watch_) return fail(Err::OutOfMemory);
  watch_->set_pid(pid_);
  CAPOS_TRY_STATUS(as_.init(&ledger_));
  uint64_t entry = 0;
  CAPOS_TRY_STATUS(load_image(elf_image, &entry, diag));

  CAPOS_TRY_STATUS(as_.map_anonymous(abi::RING_VADDR, 1, UserProt{true, true, false}, VmaKind::Ring));
  ring_ = RingEngine(static_cast<abi::RingPage*>(frames::phys_to_virt(CAPOS_TRY(as_.frame_of(abi::RING_VADDR)))));
  ring_.init_page();

  CAPOS_TRY_STATUS(as_.map_anonymous(abi::CAPSET_VADDR, 1, UserProt{true, false, false}, VmaKind::CapSet));
  capset_ = static_cast<abi::CapSetHeader*>(frames::phys_to_virt(CAPOS_TRY(as_.frame_of(abi::CAPSET_VADDR))));
  *capset_ = abi::CapSetHeader{abi::CAPSET_MAGIC, abi::CAPSET_VERSION, 0, 0};

  uint64_t stack_pages = abi::USER_STACK_DEFAULT_PAGES;
  CAPOS_TRY_STATUS(as_.map_anonymous(abi::USER_STACK_TOP - stack_pages * abi::PAGE_SIZE, stack_pages,
                                     UserProt{true, true, false}, VmaKind::Stack, /*lazy=*/true));


  thread_ = CAPOS_TRY(Thread::create_user(this, entry, abi::USER_STACK_TOP, abi::RING_VADDR, pid_,
                                          abi::CAPSET_VADDR));
  thread_->name = name_;
  return {};
}

Status Process::load_image(Bytes image, uint64_t* entry, const char** diag) {
  elf::Diagnostic d;
  auto plan = elf::plan_load(image, &d);
  if (!plan) {
    if (diag) *diag = d.reason;
    return fail(plan.error());
  }
  for (const elf::Segment& s : plan->segment_span()) {
    UserProt prot{s.readable(), s.writable(), s.executable()};
    // Pages holding file bytes are filled now; the pure-bss tail is
    // demand-zero (a runtime's static heap arena costs nothing untouched).
    uint64_t pages = s.mem_size / abi::PAGE_SIZE;
    uint64_t file_pages = min(pages, align_up(s.page_offset + s.file_size, abi::PAGE_SIZE) / abi::PAGE_SIZE);
    if (file_pages) CAPOS_TRY_STATUS(as_.map_anonymous(s.vaddr, file_pages, prot, VmaKind::Image));
    if (pages > file_pages)
      CAPOS_TRY_STATUS(as_.map_anonymous(s.vaddr + file_pages * abi::PAGE_SIZE, pages - file_pages, prot,
                                         VmaKind::Image, /*lazy=*/true));
    Bytes file = CAPOS_TRY(image.subspan(s.file_offset, s.file_size));
    CAPOS_TRY_STATUS(as_.kernel_write(s.vaddr + s.page_offset, file));
  }
  *entry = plan->entry;
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

void Process::discard(Process* p) {
  g_processes.remove(p);
  if (p->thread_) Thread::destroy(p->thread_);
  p->thread_ = nullptr;
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

void Process::start() { sched::make_runnable(thread_); }

void Process::request_kill() {
  __atomic_store_n(&kill_requested_, true, __ATOMIC_RELEASE);
  arch::IrqGuard irq;
  if (thread_ && thread_->state == ThreadState::Blocked) sched::make_runnable(thread_);
}

void process_check_killed() {
  Thread* t = sched::current();
  if (!t || !t->process || !t->process->kill_requested()) return;
  ExitStatus st;
  st.kind = ExitStatus::Kind::Killed;
  arch::sti();
  t->process->exit_self(st);
}

void Process::teardown() {
  // The session this process created ends with it (sharers see not-live).
  if (session_ && session_->owner_pid() == pid_) session_->end();
  ipc::process_exiting(*this);  // before caps: releasing them may kill endpoints
  caps_.clear();
  ipc::process_reaped(*this);
  // Never free the page tables we are running on.
  if (as_.root() && arch::read_cr3() == as_.root()) arch::write_cr3(paging::kernel_table().root());
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
  status_ = status;
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
  teardown();
  if (!ledger_.empty()) panic("process {} ({}) leaked ledger charges at exit", pid_, name_);
  g_processes.remove(this);
  if (shutdown_on_exit_) shutdown_after_init(status);
  watch_->publish(status_);
  sched::exit_current();
}

Process::~Process() = default;

void process_thread_reaped(Process* p) {
  p->~Process();
  heap::free(p);
}

}  // namespace capos
