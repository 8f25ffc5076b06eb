// The host tests' side of kernel/ipc/ipc_env.h: a model Process and
// AddressSpace with the members the IPC state machine uses. A process
// owns the real CapTable, ResourceLedger and RingEngine (over a heap ring
// page per thread slot); its user memory is a set of byte regions, each
// readable and optionally writable; the scheduler is a wake counter and
// the running thread's slot a variable the harness sets.
#pragma once

#include <stdint.h>

#include <map>
#include <memory>
#include <vector>

#include "kernel/cap/cap_table.h"
#include "kernel/cap/ledger.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/mm/user_addr.h"
#include "kernel/ring/ring_engine.h"
#include "lib/abi/ring.h"
#include "lib/core/result.h"

namespace capos {

class AddressSpace {
 public:
  void map(uint64_t base, uint64_t len, bool writable);
  void unmap(uint64_t base);
  // Direct access for the test (no permission check); null if unmapped.
  uint8_t* at(uint64_t va, uint64_t len);

  // The kernel AddressSpace's typed user-memory API (kernel/mm/user_addr.h).
  Status check_user(UserIn s) const { return check(s.addr.raw(), s.len, false); }
  Status check_user(UserOut s) const { return check(s.addr.raw(), s.len, true); }
  // Why a span failed: OutOfMemory inside a region marked unbackable (a
  // demand-zero page the machine cannot back), else Fault.
  template <UserAccess A> Err why_unusable(UserSpan<A> s) const { return why(s.addr.raw(), s.len); }
  void set_unbackable(uint64_t base, bool on);
  Status copy_from_user(void* dst, UserIn src) const;
  Status copy_to_user(UserOut dst, const void* src) const;
  static Status copy_between(const AddressSpace& from, UserIn src, const AddressSpace& to, UserOut dst);
  // The kept-translation API of the kernel's AddressSpace (the endpoint
  // fast path's KeptBuffer): a pointer to a non-empty span with the access
  // asked for, exact while generation() is unchanged; unmap and
  // set_unbackable move it, as unmap/protect move the page-table generation.
  uint8_t* direct(UserIn s) const { return direct_at(s.addr.raw(), s.len, false); }
  uint8_t* direct(UserOut s) const { return direct_at(s.addr.raw(), s.len, true); }
  uint8_t* direct_quiet(UserOut s) const { return direct(s); }
  uint64_t generation() const { return generation_; }

 private:
  struct Region {
    std::unique_ptr<uint8_t[]> bytes;
    uint64_t len = 0;
    bool writable = false;
    bool unbackable = false;  // models demand-zero pages with no frame left: every access fails
  };
  Status check(uint64_t va, uint64_t len, bool write) const;
  uint8_t* direct_at(uint64_t va, uint64_t len, bool write) const;
  uint64_t generation_ = 0;
  Err why(uint64_t va, uint64_t len) const;
  // The region holding [va, va+len), or null.
  const Region* find(uint64_t va, uint64_t len, uint64_t* offset) const;
  std::map<uint64_t, Region> regions_;
};

class Process {
 public:
  static constexpr uint32_t CAP_SLOTS = 64;
  explicit Process(uint64_t session_id, const ResourceLedger::Limits& limits = ResourceLedger::default_limits());
  ~Process();
  Process(const Process&) = delete;

  static constexpr uint32_t SLOTS = 2;  // thread slots modelled (rings)
  AddressSpace& address_space() { return as_; }
  RingEngine& ring(uint32_t slot = 0) { return rings_[slot]; }
  abi::RingPage& ring_page(uint32_t slot = 0) { return *pages_[slot]; }
  CapTable& caps() { return caps_; }
  ResourceLedger& ledger() { return ledger_; }
  ProcessIpc& ipc() { return ipc_; }
  uint64_t session_id() const { return session_id_; }
  bool session_live() const { return session_live_; }
  void end_session() { session_live_ = false; }

  uint32_t wakes = 0;          // env::wake calls
  uint32_t handoff_wakes = 0;  // of which run next (Wake::Front or Wake::Direct)
  uint32_t direct_wakes = 0;   // of which by a direct switch (endpoint CALL/RETURN)

 private:
  std::unique_ptr<abi::RingPage> pages_[SLOTS];
  ResourceLedger ledger_;
  std::unique_ptr<CapSlot[]> slots_;
  CapTable caps_;
  RingEngine rings_[SLOTS];
  ProcessIpc ipc_;
  AddressSpace as_;
  uint64_t session_id_;
  bool session_live_ = true;
};

namespace ipc::env {

inline void wake(Process& p, uint32_t slot, Wake how) {
  ++p.wakes;
  p.handoff_wakes += how != Wake::Queue;
  p.direct_wakes += how == Wake::Direct;
}

// SQEs the endpoint fast path handled (kernel: the ring statistics).
extern uint64_t g_fast_sqes;
inline void count_sqe(bool) { ++g_fast_sqes; }
// Of those, the ones run fused (no generic operation).
extern uint64_t g_fused_sqes;
inline void note_fused() { ++g_fused_sqes; }

// records::recycle leaves some fields of a freed call record as they
// were, because every allocation path writes them before it reads them;
// here they become garbage, so a path that reads one stale changes a
// transcript (or trips ASan) instead of passing by luck.
inline void poison_recycled(IpcCall* c) {
  c->server = reinterpret_cast<Process*>(0xA5A5A5A5A5A5A5A5ull);
  c->core = reinterpret_cast<EndpointCore*>(0xA5A5A5A5A5A5A5A5ull);
  c->result = UserOut(UserAddr(0xA5A5A5A5A5A5ull), 0xA5A5);
  c->user_data = 0xA5A5A5A5A5A5A5A5ull;
  c->method_id = 0xA5A5;
  c->interface_id = 0xA5A5A5A5A5A5A5A5ull;
  c->call_id = 0xA5A5A5A5u;
  c->params_user = UserIn(UserAddr(0xA5A5A5A5A5A5ull), 0xA5A5);
  c->session_id = 0xA5A5A5A5A5A5A5A5ull;
  c->owner_data = 0xA5A5A5A5A5A5A5A5ull;
  c->deadline = 0xA5A5A5A5A5A5A5A5ull;
  c->ring_slot = 0xA5;
}

// The slot of the thread the harness is running a kernel entry for.
extern uint8_t g_current_slot;
inline uint8_t current_slot() { return g_current_slot; }

}  // namespace ipc::env

}  // namespace capos
