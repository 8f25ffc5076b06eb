#include "kernel/sched/scheduler.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/tlb.h"
#include "kernel/debug/log.h"
#include "kernel/debug/measure.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/timer.h"
#include "kernel/mm/paging.h"
#include "kernel/proc/process.h"
#include "kernel/sched/cap_enter_wait.h"
#include "kernel/sched/deferred.h"
#include "kernel/sched/context_switch.h"
#include "kernel/sched/cpu_queues.h"
#include "kernel/sched/fair_queue.h"
#include "kernel/sched/kernel_lock.h"
#include "kernel/sched/sched_context.h"

namespace capos::sched {

namespace {

using DeadList = IntrusiveList<Thread, &Thread::sched_node>;
using WaitList = IntrusiveList<Thread, &Thread::wait_node>;

CpuQueues<Thread, arch::MAX_CPUS> g_rq CAPOS_GUARDED_BY(g_kernel_lock);
// How far (virtual time) another CPU's front may fall behind this CPU's
// before this CPU takes it: a quarter of a weight-1 thread's time slice.
// Less moves threads between caches more often; with a whole slice the
// weight-1 : weight-4 test on two CPUs ended at 3.65-3.83 instead of 4,
// with a quarter at 3.87-3.96 (the global queue: 3.89).
uint64_t g_steal_slack = 0;
DeadList g_dead CAPOS_GUARDED_BY(g_kernel_lock);
WaitList g_waiters CAPOS_GUARDED_BY(g_kernel_lock);
// The number of queued threads as last published under the lock, for the lock-free
// check on the way back to ring 3 (exit_to_user_needed; atomic).
uint32_t g_queued = 0;
uint32_t g_idle_cpus CAPOS_GUARDED_BY(g_kernel_lock) = 0;  // halted (or about to) with nothing to run
bool g_started = false;  // the boot CPU is in the scheduler: APs may follow (atomic)
// Tickless boot CPU: when timer work is next due (set once before start),
// the deadline the idle boot CPU's one-shot covers (~0 = none, timer off),
// and whether it idles without its tick (atomic: the tick handler reads it).
uint64_t (*g_timer_work_source)() = nullptr;
uint64_t g_boot_deadline CAPOS_GUARDED_BY(g_kernel_lock) = ~0ull;
uint32_t g_boot_tickless = 0;
uint32_t g_running_cpus = 0;  // atomic

arch::PerCpu& cpu() { return arch::this_cpu(); }

// Every queue operation below has a one-CPU form (cpu_queues.h) so that
// -smp 1 does the work of a single global queue and nothing more.
void publish_queued_one() CAPOS_REQUIRES(g_kernel_lock) {
  __atomic_store_n(&g_queued, g_rq.size_one(), __ATOMIC_RELAXED);
}
void publish_queued_smp() CAPOS_REQUIRES(g_kernel_lock) {
  __atomic_store_n(&g_queued, g_rq.total(arch::cpu_count()), __ATOMIC_RELAXED);
}
bool nothing_queued() CAPOS_REQUIRES(g_kernel_lock) {
  return arch::smp() ? g_rq.empty(arch::cpu_count()) : g_rq.empty_one();
}

// Asks `target` to look at its run queue / deferred-work point.
void send_resched(uint32_t target) {
  arch::lapic_send_fixed(arch::cpu(target).apic_id, arch::VEC_RESCHED);
}

void on_resched_ipi(arch::InterruptFrame&) {
  arch::PerCpu& c = cpu();
  c.need_resched = 1;
  ++c.ipis_received;
  arch::lapic_eoi();
}

// Runs deferred work whenever nothing else does; `sti; hlt` is atomic (the
// one-instruction interrupt shadow of sti), so a wakeup between the check
// and the halt cannot be lost. The kernel lock is dropped for the halt so
// that other CPUs are not held up by an idle one; a CPU that queues work
// for an idle one wakes it with an IPI (make_runnable).
// Halts this CPU without the kernel lock, marked idle so that a CPU that
// queues a thread wakes it (make_runnable): once, for a polling kernel
// thread that re-checks its condition after any interrupt, or, for the
// idle loop, until there is work for this CPU: a reschedule IPI (a thread
// was queued for us) or deferred work an interrupt on this CPU recorded.
// Work recorded elsewhere (the boot CPU's timer work) is run by the CPU
// that recorded it, at its next deferred-work point. A tick that finds
// neither halts again without touching the kernel lock, so idle CPUs do
// not queue up for it 100 times a second (with more vCPUs than host cores,
// a queued-up, descheduled vCPU would hold everyone up). On one CPU every
// interrupt is this CPU's. Interrupts are off on entry and on return.
void halt_without_lock(bool until_work) CAPOS_REQUIRES(g_kernel_lock) {
  arch::PerCpu& c = cpu();
  uint32_t bit = 1u << c.cpu_id;
  g_idle_cpus |= bit;
  g_kernel_lock.release();
  do {
    asm volatile("sti; hlt" ::: "memory");
    arch::cli();
  } while (until_work && !c.need_resched && !(c.raised_work && deferred::pending()));
  g_kernel_lock.acquire();
  g_idle_cpus &= ~bit;
}

// The idle boot CPU arms a one-shot for the next timer work instead of
// ticking (or stops its timer: nothing waits for time). Returns false when
// that work is already due: it is raised here, for the caller to run.
bool arm_boot_deadline() CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t due = g_timer_work_source();
  uint64_t now = timer::now_ns();
  if (due <= now) {
    deferred::raise(deferred::TIMER);
    return false;
  }
  if (due == ~0ull) arch::lapic_timer_stop_this_cpu();
  else arch::lapic_timer_oneshot_this_cpu(due - now);
  g_boot_deadline = due;
  __atomic_store_n(&g_boot_tickless, 1, __ATOMIC_RELEASE);
  return true;
}

void idle_loop(void*) {
  g_kernel_lock.assert_held();  // handed over by the switch that started us
  // Tickless idle: an idle CPU has no slice to end, so its periodic tick
  // stops for the halt and starts again before it runs a thread. An AP
  // then waits for an IPI or a device interrupt. The boot CPU's tick also
  // drives timer work (sleeps, PARK timeouts, cap_enter deadlines,
  // budget periods): idle, it arms a one-shot for the earliest of them
  // instead, re-armed on every pass; meanwhile the ticks of busy APs run
  // the timer work, and an AP going idle wakes it if a deadline added
  // since is earlier than the one it armed. Without a timer-work source
  // (set by kmain) the boot CPU keeps ticking.
  bool boot = cpu().cpu_id == 0;
  bool ticking = true;
  for (;;) {
    arch::cli();
    deferred::run();
    if (!nothing_queued()) {
      if (!ticking) {
        if (boot) __atomic_store_n(&g_boot_tickless, 0, __ATOMIC_RELEASE);
        arch::lapic_timer_start_this_cpu();
        ticking = true;
      }
      yield();
      continue;
    }
    arch::PerCpu& c = cpu();
    c.need_resched = 0;  // under the lock: a reschedule IPI sent from now on sets it again
    // On SMP an idle CPU leaves the last process's tables, so shootdowns
    // for that address space need not wait for it (the next switch
    // loads tables anyway).
    if (arch::cpu_count() > 1) arch::tlb::drop_user_tables(cpu());
    if (boot && g_timer_work_source) {
      if (!arm_boot_deadline()) continue;  // due now: run it first
      ticking = false;
    } else if (!boot) {
      if (ticking) {
        arch::lapic_timer_stop_this_cpu();
        ticking = false;
      }
      if (__atomic_load_n(&g_boot_tickless, __ATOMIC_ACQUIRE) && g_timer_work_source) {
        uint64_t due = g_timer_work_source();
        if (due < g_boot_deadline) {  // our ticks covered it; now nobody would
          g_boot_deadline = due;      // one wakeup is enough: it re-arms
          send_resched(0);
        }
      }
    }
    halt_without_lock(true);
  }
}

[[gnu::noinline]] void reap() CAPOS_REQUIRES(g_kernel_lock) {
  while (Thread* t = g_dead.front()) {
    // Cannot free a stack still in use: ours, or (on SMP) that of a dead
    // thread another CPU has not switched away from yet -- impossible
    // while we hold the lock it switches under, but cheap to check.
    if (t == current()) break;
    CAPOS_MEASURE_SCOPE(Teardown);
    g_dead.remove(t);
    Process* p = t->last_of_process ? t->process : nullptr;
    Thread::destroy(t);
    if (p) process_thread_reaped(p);  // its other threads were reaped before (FIFO)
  }
}

// The switch (context_switch.h), then the reaper if a thread died: it
// runs as `prev` again (maybe on another CPU). Threads die rarely: the
// empty test is inline, the reaper is not.
template <bool UserToUser>
[[gnu::always_inline]] inline void switch_threads(arch::PerCpu& c, Thread* prev, Thread* next)
    CAPOS_REQUIRES(g_kernel_lock) {
  switch_cpu_to<UserToUser>(c, prev, next);
  if (!g_dead.empty()) [[unlikely]] reap();
}

// Inline: a block (schedule) switches on every call; yield and the
// first switch of a CPU are the other callers.
[[gnu::always_inline]] inline void switch_to(Thread* next) CAPOS_REQUIRES(g_kernel_lock) {
  arch::PerCpu& c = cpu();
  Thread* prev = c.current;
  if (prev == next) {  // picked again (yield): it runs on, and other CPUs must see it running
    next->state = ThreadState::Running;
    return;
  }
  switch_threads<false>(c, prev, next);
}

void account(arch::PerCpu& c) CAPOS_REQUIRES(g_kernel_lock) { charge_running(c, c.current); }

// The lowest vruntime among the threads running on the other CPUs and
// `mine` (the one this CPU is about to run).
uint64_t min_running_vruntime(const arch::PerCpu& c, uint64_t mine) CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t m = mine;
  for (uint32_t i = 0, n = arch::cpu_count(); i < n; ++i) {
    const arch::PerCpu& o = arch::cpu(i);
    if (i == c.cpu_id || !o.current || o.current == o.idle || o.current->state != ThreadState::Running) continue;
    if (o.current->vruntime < m) m = o.current->vruntime;
  }
  return m;
}

// Removes and returns the thread this CPU runs next (least weighted CPU
// so far; its idle thread when nothing is queued for it). The caller has
// charged the running thread.
[[gnu::always_inline]] inline Thread* pick_next(arch::PerCpu& c) CAPOS_REQUIRES(g_kernel_lock) {
  Thread* next;
  if (!arch::smp()) {
    next = g_rq.pop_one();
    while (next && budget_hooks::hold_back(next, c.switch_tsc)) next = g_rq.pop_one();  // budget used up
    publish_queued_one();
    if (next) g_rq.advance_floor_one(next->vruntime); else next = c.idle;
  } else {
    uint32_t n = arch::cpu_count();
    next = g_rq.pick(c.cpu_id, n, g_steal_slack);
    while (next && budget_hooks::hold_back(next, c.switch_tsc)) next = g_rq.pick(c.cpu_id, n, g_steal_slack);
    publish_queued_smp();
    if (next) g_rq.advance_floor(n, min_running_vruntime(c, next->vruntime)); else next = c.idle;
  }
  return next;
}

// Picks the next thread and switches; IRQs must be disabled. Inline in
// block_current (every PARK and every wait without a direct switch).
[[gnu::always_inline]] inline void schedule_inline() CAPOS_REQUIRES(g_kernel_lock) {
  arch::PerCpu& c = cpu();
  c.need_resched = 0;
  account(c);
  switch_to(pick_next(c));
}
[[gnu::noinline]] void schedule() CAPOS_REQUIRES(g_kernel_lock) { schedule_inline(); }

// This CPU's boot context becomes a throwaway thread that is never
// resumed, and the CPU runs its first thread.
[[noreturn]] void enter(Thread* boot) CAPOS_REQUIRES(g_kernel_lock) {
  arch::PerCpu& c = cpu();
  boot->name = "boot";
  boot->state = ThreadState::Dead;
  boot->cpu = static_cast<uint8_t>(c.cpu_id);
  c.current = boot;
  c.switch_tsc = arch::rdtsc();
  __atomic_store_n(&c.online, 1, __ATOMIC_RELEASE);
  __atomic_add_fetch(&g_running_cpus, 1, __ATOMIC_RELEASE);
  Thread* next = g_rq.pick(c.cpu_id, arch::cpu_count(), g_steal_slack);  // one CPU: queue 0, as pop_one
  publish_queued_smp();
  switch_to(next ? next : c.idle);
  panic("sched: boot context resumed");
}

Thread g_boot_threads[arch::MAX_CPUS];

}  // namespace

Status init() {
  cpu().idle = CAPOS_TRY(Thread::create_kernel("idle", idle_loop, nullptr));
  arch::set_irq_handler(arch::VEC_RESCHED, on_resched_ipi);
  arch::tlb::init();
  return {};
}

void start() {
  arch::cli();
  g_steal_slack = timer::tsc_hz() / timer::TICK_HZ * WEIGHT_SCALE / 4;  // the timer is calibrated by now
  // Every AP's idle thread is made here, before anything runs, so the
  // memory a boot uses does not depend on when the APs get going.
  for (uint32_t i = 1; i < arch::cpu_count(); ++i) {
    auto idle = Thread::create_kernel("idle", idle_loop, nullptr);
    if (!idle) {
      klog("smp: cpu {} has no idle thread ({}); it stays parked\n", i, err_name(idle.error()));
      continue;
    }
    arch::cpu(i).idle = *idle;
  }
  __atomic_store_n(&g_started, true, __ATOMIC_RELEASE);
  enter(&g_boot_threads[0]);
}

void start_ap() {
  while (!__atomic_load_n(&g_started, __ATOMIC_ACQUIRE)) arch::pause();
  if (!cpu().idle) for (;;) asm volatile("cli; hlt");  // reported by start()
  g_kernel_lock.acquire();
  enter(&g_boot_threads[cpu().cpu_id]);
}

uint32_t cpus_running() { return __atomic_load_n(&g_running_cpus, __ATOMIC_ACQUIRE); }

// The queues are the kernel lock's (held: CAPOS_REQUIRES); no interrupt
// handler touches them (docs/concurrency.md), so waking a thread needs no
// interrupt mask -- the IPI to an idle CPU masks its own (lapic.cpp).
void make_runnable(Thread* t) {
  if (t->state == ThreadState::Runnable || t->state == ThreadState::Running || t->state == ThreadState::Dead)
    return;
  t->state = ThreadState::Runnable;
  if (!arch::smp()) {  // one CPU: one queue, and no other CPU to wake
    g_rq.insert_one(t);
    publish_queued_one();
    return;
  }
  // Its own CPU's queue (caches and TLB may still hold it; a new thread:
  // this CPU's), unless another CPU is idle: then an idle one, its own
  // CPU if that is idle, woken with an IPI (not this one: it is busy
  // running us).
  uint32_t here = cpu().cpu_id;
  uint32_t target = t->cpu_cycles ? t->cpu : here;
  uint32_t idle = g_idle_cpus & ~(1u << here);
  if (idle && !(idle & (1u << target))) target = static_cast<uint32_t>(__builtin_ctz(idle));
  g_rq.insert(target, t);
  publish_queued_smp();
  if (idle & (1u << target)) {
    g_idle_cpus &= ~(1u << target);  // one IPI per idle CPU is enough
    send_resched(target);
  }
}

void make_runnable_front(Thread* t) {  // no interrupt mask: as make_runnable
  if (t->state != ThreadState::Blocked) return;
  t->state = ThreadState::Runnable;
  // Direct handoff: next on this CPU, whatever its vruntime (wake-affine:
  // the woken thread runs where its waker is).
  if (!arch::smp()) {
    g_rq.push_front_one(t);
    publish_queued_one();
  } else {
    g_rq.push_front(cpu().cpu_id, t);
    publish_queued_smp();
  }
}

void block_and_switch(Thread* next) {
  // Interrupts are off: cap_enter blocks under its IrqGuard (scheduler.h).
  arch::PerCpu& c = cpu();
  Thread* self = c.current;
  self->switch_next = nullptr;
  self->state = ThreadState::Blocked;
  // Blocked under the kernel lock: switched out (the switch hands the lock
  // over), so it may run here. Anything else -- made runnable meanwhile
  // (then it is queued) -- is the scheduler's choice.
  if (next->state != ThreadState::Blocked || !next->process) [[unlikely]] {
    schedule();
    return;
  }
  c.need_resched = 0;
  charge_running<false>(c, self);
  if (budget_hooks::hold_back(next, c.switch_tsc)) [[unlikely]] {  // its budget is used up: throttled, not run
    schedule();
    return;
  }
  // Placed as a handoff to the queue front would place it, and the floor
  // advanced as pick_next advances it.
  if (!arch::smp()) g_rq.place_running_one(next);
  else {
    g_rq.raise_to_floor(next);
    g_rq.advance_floor(arch::cpu_count(), min_running_vruntime(c, next->vruntime));
  }
  switch_threads<true>(c, self, next);
}

void kick(Thread* t) {
  if (t->state == ThreadState::Running && t->cpu != cpu().cpu_id) send_resched(t->cpu);
}

void block_current() {
  arch::IrqGuard irq;
  current()->state = ThreadState::Blocked;
  schedule_inline();
}

void yield() {
  CAPOS_MEASURE_SCOPE(Switch);
  arch::IrqGuard irq;
  arch::PerCpu& c = cpu();
  c.need_resched = 0;
  if (c.current->budget) {  // bound to a SchedulingContext: a used-up budget stops it even with nothing else to run
    account(c);
    if (budget_hooks::hold_back(c.current, c.switch_tsc)) {
      schedule();
      return;
    }
  }
  if (nothing_queued()) {
    // Nothing else to run anywhere. A kernel thread that yields in a loop is
    // polling (self tests wait for processes that may run on other CPUs):
    // on SMP it waits for the next interrupt like the idle loop, without
    // the kernel lock, so the CPUs it waits for get the lock and a
    // virtual CPU does not burn its host's time. Otherwise, if another
    // CPU waits for the lock, it goes first (the ticket lock serves it
    // before our next acquire): a yield lets others run.
    if (!c.current->process && c.current != c.idle && arch::cpu_count() > 1) {
      halt_without_lock(false);
    } else if (g_kernel_lock.has_waiters()) {
      g_kernel_lock.release();
      g_kernel_lock.acquire();
    }
    return;
  }
  Thread* self = c.current;
  if (!self->process && self != c.idle && arch::smp()) {
    // A polling kernel thread (self tests wait for processes that run on
    // other CPUs) is no work of this CPU's own: it gives the CPU to any
    // thread queued anywhere -- another CPU's marked handoff or a front
    // within the steal slack included, as an idle CPU would -- and polls
    // on once it is picked again. With nothing it may take, it waits for
    // the next interrupt without the kernel lock, as with nothing queued.
    // Queued first and picked again (a switch to itself is no switch), it
    // kept the lock from the CPU those threads were queued on for as long
    // as it polled (qemu_smp2.issue22_fairness: killed flooders queued
    // behind a handoff never ran their exit; qemu.poll_handoff); halting
    // instead left that CPU all the work (qemu_smp2.smp_stress: 3 victims).
    account(c);
    Thread* next = pick_next(c);
    if (next == c.idle) {
      halt_without_lock(false);
      return;
    }
    self->state = ThreadState::Runnable;
    g_rq.insert(c.cpu_id, self);
    publish_queued_smp();
    switch_to(next);
    return;
  }
  account(c);  // its place in the queue reflects the slice it just used
  if (self != c.idle) {
    self->state = ThreadState::Runnable;
    if (!arch::smp()) {
      g_rq.insert_one(self);
      publish_queued_one();
    } else {
      g_rq.insert(c.cpu_id, self);
      publish_queued_smp();
    }
  }
  switch_to(pick_next(c));
}

void exit_current() {
  arch::cli();
  Thread* t = current();
  flush_handoff(t);  // cap_enter flushes on every way out; a thread that ends must not strand one either
  t->state = ThreadState::Dead;
  if (t->wait_node.linked()) g_waiters.remove(t);
  g_dead.push_back(t);
  schedule();
  panic("sched: dead thread resumed");
}

void register_waiter(Thread* t) {
  arch::IrqGuard irq;
  if (!t->wait_node.linked()) g_waiters.push_back(t);
}

void unregister_waiter(Thread* t) {
  arch::IrqGuard irq;
  if (t->wait_node.linked()) g_waiters.remove(t);
}

uint64_t next_waiter_deadline() {
  uint64_t best = ~0ull;
  for (Thread* t = g_waiters.front(); t; t = g_waiters.next(t))
    if (t->state == ThreadState::Blocked && t->wait_deadline < best) best = t->wait_deadline;
  return best;
}

void set_timer_work_source(uint64_t (*next_ns)()) { g_timer_work_source = next_ns; }

bool boot_cpu_tickless() { return __atomic_load_n(&g_boot_tickless, __ATOMIC_ACQUIRE) != 0; }

void expire_waiters() {
  arch::IrqGuard irq;
  uint64_t now = timer::now_ns();
  for (Thread* t = g_waiters.front(); t;) {
    Thread* next = g_waiters.next(t);
    if (t->state == ThreadState::Blocked && (now >= t->wait_deadline || cap_enter_satisfied(t))) {
      make_runnable(t);
    }
    t = next;
  }
}

// Only records: user threads are preempted at exit_to_user; kernel code
// (kernel threads included) is never preempted, it blocks or yields, so
// kernel data is never seen half-updated by another thread.
void on_tick() {
  arch::PerCpu& c = cpu();
  if (c.current != c.idle) c.need_resched = 1;  // an idle CPU has no slice to end
}

void exit_to_user() {
  arch::cli();
  // The common case (nothing recorded, no reschedule, no kill) is three
  // loads and falls straight through: this runs on every syscall.
  for (Thread* t = current(); deferred::pending() || resched_requested() || t->process->kill_requested();
       t = current()) {
    deferred::run();
    if (resched_requested()) yield();  // clears the request, even when nothing else is runnable
    if (current()->process->kill_requested() || current()->exit_requested) process_check_killed();  // no return
  }
}

// Runs on the way back to ring 3 after an interrupt, without the kernel
// lock and with interrupts off: reads only this CPU's record, the running
// thread's kill/exit flags and the published queue length. A stale queue
// length costs at most one more tick before the waiting thread is seen.
bool exit_to_user_needed() {
  arch::PerCpu& c = cpu();
  if (c.raised_work) {
    if (deferred::pending()) return true;  // recorded here: run here
    c.raised_work = 0;                     // another CPU ran it already
  }
  Thread* t = c.current;
  if (t->process->kill_requested() || __atomic_load_n(&t->exit_requested, __ATOMIC_ACQUIRE)) return true;
  if (!c.need_resched) return false;
  if (__atomic_load_n(&g_queued, __ATOMIC_RELAXED) != 0) return true;
  // A thread on a budget is charged (and held back) only at scheduling
  // decisions: without this a lone hog on a CPU would never reach one.
  if (t->budget) return true;
  c.need_resched = 0;  // nothing else could run: the slice starts over, as yield would do
  return false;
}

void finish_switch() { reap(); }

void request_exit_check() { cpu().need_resched = 1; }

void log_state(const Thread* t) {
  klog("sched: now {} ns, ticks {}, floor {}, idle cpus {:#x}, boot tickless {}, queued {}\n", timer::now_ns(),
       timer::ticks(), g_rq.floor(), g_idle_cpus, g_boot_tickless, g_queued);
  for (uint32_t i = 0; i < arch::cpu_count(); ++i) {
    arch::PerCpu& o = arch::cpu(i);
    Thread* f = g_rq.front(i);
    Thread* h = g_rq.handoff(i);
    klog("sched: cpu {}: running {} (tid {}, state {}, vruntime {}), resched {}, ticks {}; queue {}, front tid {} "
         "(vruntime {}), handoff tid {}\n",
         i, o.current ? o.current->name : "-", o.current ? o.current->tid : 0,
         o.current ? static_cast<int>(o.current->state) : -1, o.current ? o.current->vruntime : 0, o.need_resched,
         o.ticks, g_rq.size(i), f ? f->tid : 0, f ? f->vruntime : 0, h ? h->tid : 0);
  }
  for (uint32_t i = 0; i < arch::cpu_count(); ++i)
    for (Thread* q = g_rq.front(i); q; q = g_rq.next(i, q))
      klog("sched: cpu {} queue: tid {} {} vruntime {} state {} in cap_enter {}\n", i, q->tid, q->name, q->vruntime,
           static_cast<int>(q->state), q->in_cap_enter);
  if (t)
    klog("sched: tid {}: state {}, cpu {}, vruntime {}, queued {}, in cap_enter {}, cycles {}\n", t->tid,
         static_cast<int>(t->state), t->cpu, t->vruntime, t->sched_node.linked(), t->in_cap_enter, t->cpu_cycles);
}

}  // namespace capos::sched

// First run of a thread, right after the switch that handed it the kernel
// lock (with interrupts disabled): a user thread is about to enter ring 3
// for the first time and gives the lock up; a kernel thread keeps it and
// runs with interrupts enabled, so the tick can preempt it and device
// interrupts are not held back while it computes or polls.
extern "C" void thread_first_run() CAPOS_NO_THREAD_SAFETY_ANALYSIS {
  using namespace capos;
  g_kernel_lock.assert_held();
  sched::finish_switch();
  if (sched::current()->process) {
    // Killed before it ever ran: leave without entering ring 3.
    if (sched::current()->process->kill_requested()) process_check_killed();
    g_kernel_lock.release();
    CAPOS_MEASURE_SEG(User);
    return;
  }
  arch::sti();
}
