#include "kernel/sched/kernel_lock.h"

#include "kernel/debug/panic.h"

namespace capos {

KernelLock g_kernel_lock;

void KernelLock::misuse(const char* what) { panic("kernel lock: {}", what); }

void KernelLock::assert_held() const {
  if (!held()) panic("kernel lock: required but not held");
}

}  // namespace capos
