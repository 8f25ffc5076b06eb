// A session: the identity-as-data that endpoint servers see as the caller
// reference (derived from the session id and the endpoint's scope, see
// kernel/ipc/ipc.cpp fill_header). Every process gets a fresh session at
// spawn unless the spawn request asks to share the caller's; a session
// ends when the process that created it ends, and calls from processes
// still sharing it are then delivered without MSG_F_SESSION_LIVE.
//
// Payer: every process is charged one Session in its fixed kernel bytes
// (Process::fixed_kernel_bytes), whether it created its session or shares
// one, so a shared session that outlives its creator is always covered by
// a live holder's charge.
#pragma once

#include "kernel/cap/object.h"

namespace capos {

class Session final : public KObject {
 public:
  // A new live session created for process `owner_pid`; null when the
  // kernel heap is exhausted.
  static Ref<Session> create(uint32_t owner_pid, uint64_t id);
  uint64_t id() const { return id_; }
  uint32_t owner_pid() const { return owner_pid_; }
  bool live() const { return __atomic_load_n(&live_, __ATOMIC_ACQUIRE); }
  // The creating process ended.
  void end() { __atomic_store_n(&live_, false, __ATOMIC_RELEASE); }

 private:
  Session() : KObject(ObjType::Session) {}
  void destroy() override;
  uint64_t id_ = 0;
  uint32_t owner_pid_ = 0;
  bool live_ = true;
};

}  // namespace capos
