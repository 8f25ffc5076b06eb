// ExitWatch: the part of a process that outlives it — its exit status and
// at most one waiter — and, as a capability, its ProcessHandle. Handles,
// spawners and kernel self tests hold references; the process publishes
// its status when it ends. wait() from userspace is deferred: the CALL
// completes when the process exits, without blocking the caller's ring.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/proc/thread.h"
#include "schema/process.capnp.capos.h"

namespace capos {

struct ExitStatus;
struct IpcCall;

class ExitWatch final : public KernelCap, public DeferredOwner, public schema::wire::ProcessHandle::Server {
 public:
  static Ref<ExitWatch> create(Process* p, StrView name);
  bool exited() const { return __atomic_load_n(&exited_, __ATOMIC_ACQUIRE); }
  const ExitStatus& status() const;
  uint32_t pid() const { return pid_; }
  void set_pid(uint32_t pid) { pid_ = pid; }
  void set_binary(StrView binary);
  StrView binary() const { return StrView(binary_); }
  // Called by the exiting process; completes or wakes the waiter.
  void publish(const ExitStatus& st) CAPOS_REQUIRES(g_kernel_lock);
  // Asks the process to end (as ProcessHandle.kill); false if it already has.
  bool request_kill() CAPOS_REQUIRES(g_kernel_lock);
  // Blocks the calling kernel thread until the process has exited.
  void wait() CAPOS_REQUIRES(g_kernel_lock);

  // ProcessHandle capability.
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  // The process waiting in wait() died: forget its call.
  void cancel(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) override;
  Status wait(schema::wire::ProcessHandle::WaitParams::Reader,
              schema::wire::ProcessHandle::WaitResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status kill(schema::wire::ProcessHandle::KillParams::Reader,
              schema::wire::ProcessHandle::KillResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status info(schema::wire::ProcessHandle::InfoParams::Reader,
              schema::wire::ProcessHandle::InfoResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  ExitWatch();
  void destroy() CAPOS_REQUIRES(g_kernel_lock) override;
  Status fill_status(schema::wire::ExitStatus::Builder b) const;

  alignas(8) unsigned char status_[64];
  bool exited_ = false;
  uint32_t pid_ = 0;
  Process* process_ = nullptr;  // valid until publish()
  char name_[32] = {};
  char binary_[32] = {};
  Thread* waiter_ = nullptr;       // kernel-thread waiter
  IpcCall* waiter_call_ = nullptr; // deferred userspace wait
};

}  // namespace capos
