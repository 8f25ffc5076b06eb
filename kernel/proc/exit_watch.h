// ExitWatch: the part of a process that outlives it — its exit status and
// at most one waiter. ProcessHandle capabilities and kernel self tests
// hold a reference; the process fills it in when it ends.
#pragma once

#include "kernel/cap/object.h"
#include "kernel/proc/thread.h"

namespace capos {

struct ExitStatus;

class ExitWatch final : public KObject {
 public:
  static Ref<ExitWatch> create();
  bool exited() const { return __atomic_load_n(&exited_, __ATOMIC_ACQUIRE); }
  const ExitStatus& status() const;
  uint32_t pid() const { return pid_; }
  void set_pid(uint32_t pid) { pid_ = pid; }
  // Called by the exiting process; wakes the waiter.
  void publish(const ExitStatus& st);
  // Blocks the calling kernel thread until the process has exited.
  void wait();

 private:
  ExitWatch();
  void destroy() override;
  alignas(8) unsigned char status_[64];
  bool exited_ = false;
  uint32_t pid_ = 0;
  Thread* waiter_ = nullptr;
};

}  // namespace capos
