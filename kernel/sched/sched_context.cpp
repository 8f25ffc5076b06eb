#include "kernel/sched/sched_context.h"

#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"

namespace capos::sched::budget_hooks {

namespace {

IntrusiveList<Thread, &Thread::sched_node> g_throttled CAPOS_GUARDED_BY(g_kernel_lock);
uint32_t g_count CAPOS_GUARDED_BY(g_kernel_lock) = 0;

bool must_run(const Thread* t) { return t->process && (t->process->kill_requested() || t->exit_requested); }

}  // namespace

void charge_bound(Thread* t, uint64_t cycles, uint64_t now) { t->budget->charge(cycles, now); }

bool hold_back_bound(Thread* t, uint64_t now) {
  if (must_run(t) || !t->budget->exhausted(now)) return false;
  t->budget->note_throttled();
  t->state = ThreadState::Runnable;  // not Blocked: a wakeup must not queue it twice
  g_throttled.push_back(t);
  ++g_count;
  return true;
}

void release_due(uint64_t now) {
  for (Thread* t = g_throttled.front(); t;) {
    Thread* next = g_throttled.next(t);
    if (must_run(t) || !t->budget->exhausted(now)) {
      g_throttled.remove(t);
      --g_count;
      t->state = ThreadState::Blocked;  // make_runnable queues only a thread that is not Runnable
      make_runnable(t);
    }
    t = next;
  }
}

uint32_t throttled_count() { return g_count; }

}  // namespace capos::sched::budget_hooks
