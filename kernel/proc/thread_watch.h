// ThreadWatch: the part of a thread that outlives it — its exit code and at
// most one pending join — and, as a capability, its ThreadHandle. The
// thread holds one reference until it leaves; each handle holds another.
// Releasing every handle detaches the thread (it runs on; its code is
// dropped). join() is a deferred CALL like ProcessHandle.wait.
#pragma once

#include "kernel/cap/kernel_cap.h"
#include "kernel/ipc/endpoint.h"
#include "schema/process.capnp.capos.h"

namespace capos {

class ThreadWatch final : public KernelCap, public DeferredOwner, public schema::wire::ThreadHandle::Server {
 public:
  static bool holds_type(ObjType t) { return t == ObjType::ThreadHandle; }
  // A watch holding the thread's reference (null when memory is exhausted).
  static Ref<ThreadWatch> create(uint32_t pid, uint32_t tid);
  // The thread is gone: drops its reference.
  static void drop(ThreadWatch* w) CAPOS_REQUIRES(g_kernel_lock) { w->release(); }
  void set_tid(uint32_t tid) { tid_ = tid; }
  // Called as the thread leaves; completes a pending join.
  void publish(int64_t code) CAPOS_REQUIRES(g_kernel_lock);

  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  void cancel(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) override;
  Status join(schema::wire::ThreadHandle::JoinParams::Reader,
              schema::wire::ThreadHandle::JoinResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status info(schema::wire::ThreadHandle::InfoParams::Reader,
              schema::wire::ThreadHandle::InfoResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

 private:
  ThreadWatch(uint32_t pid, uint32_t tid) : KernelCap(ObjType::ThreadHandle), pid_(pid), tid_(tid) {}
  void destroy() CAPOS_REQUIRES(g_kernel_lock) override;

  uint32_t pid_;
  uint32_t tid_;
  bool exited_ = false;
  int64_t code_ = 0;
  IpcCall* join_call_ = nullptr;
};

}  // namespace capos
