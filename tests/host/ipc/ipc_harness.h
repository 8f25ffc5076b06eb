// A small world for the IPC host tests: processes with rings and user
// memory, SQEs submitted through the real RingEngine and dispatched to
// ipc::call/recv/ret the way kernel/ring/dispatch.cpp does, completions
// reaped like userspace reads them. Every kernel entry happens under
// g_kernel_lock, as in the kernel.
#pragma once

#include <stdint.h>

#include <memory>
#include <vector>

#include "kernel/ipc/endpoint.h"
#include "kernel/ipc/ipc_internal.h"
#include "tests/host/ipc/ipc_env_host.h"

namespace capos::test {

// Each process maps: a params area (read-only to the kernel's writes),
// per-slot result/receive buffers (writable), and a transfer-descriptor
// area.
constexpr uint64_t PARAMS_VA = 0x10000;
constexpr uint64_t PARAMS_LEN = 0x10000;
constexpr uint64_t XFER_VA = 0x30000;
constexpr uint64_t BUF_VA = 0x100000;
constexpr uint64_t BUF_SLOT = 0x2000;
constexpr uint32_t BUF_SLOTS = 64;
constexpr uint64_t UNMAPPED_VA = 0x7000000;

// When set, every submission first goes through the endpoint fast path
// (ipc::fast_path, as cap_enter tries it), and the generic drain takes
// whatever it declines.
extern bool g_use_fast_path;

class World {
 public:
  World();
  ~World();

  Process& spawn(uint64_t session_id = 0);
  // An endpoint: its owner facet granted to `server`; returns the CapId.
  uint32_t make_endpoint(Process& server);
  // A client facet of the endpoint `server` owns at `owner_cap`, granted to `client`.
  uint32_t grant_client(Process& server, uint32_t owner_cap, Process& client);

  // Submits one SQE and lets the kernel consume it (RingEngine::drain).
  // Returns the number of SQEs consumed (0 or 1). `slot` is the
  // submitting thread's ring.
  uint32_t submit(Process& p, const abi::CapSqe& sqe, uint8_t slot = 0);
  // Submits several SQEs and lets the kernel consume them in one entry.
  uint32_t submit_batch(Process& p, const std::vector<abi::CapSqe>& sqes, uint8_t slot = 0);
  // An SQE as call()/recv()/ret() build them, without submitting it.
  static abi::CapSqe recv_sqe(uint32_t cap, uint64_t user_data, uint32_t slot, uint32_t buf_len = BUF_SLOT);
  // A CALL on `cap` with `params_len` bytes of params at PARAMS_VA and its
  // result in buffer slot `slot` (method 0, no caps, no flags).
  static abi::CapSqe call_sqe(uint32_t cap, uint64_t user_data, uint32_t params_len, uint32_t slot,
                              uint32_t result_len = BUF_SLOT);
  static abi::CapSqe ret_sqe(uint32_t cap, uint64_t user_data, uint32_t call_id, uint32_t reply_len);
  // CALL with `params` (copied to the params area), result buffer slot `slot`.
  uint32_t call(Process& p, uint32_t cap, uint64_t user_data, const std::vector<uint8_t>& params, uint32_t slot,
                uint32_t result_len = BUF_SLOT, std::vector<abi::CapTransferDesc> xfer = {});
  uint32_t recv(Process& p, uint32_t cap, uint64_t user_data, uint32_t slot, uint32_t buf_len = BUF_SLOT);
  uint32_t ret(Process& p, uint32_t cap, uint64_t user_data, uint32_t call_id, const std::vector<uint8_t>& reply,
               bool exception = false, std::vector<abi::CapTransferDesc> xfer = {});
  // Completions posted since the last reap, in order.
  std::vector<abi::CapCqe> reap(Process& p, uint8_t slot = 0);
  // Bytes in p's buffer slot.
  std::vector<uint8_t> slot_bytes(Process& p, uint32_t slot, uint64_t offset, uint64_t len);
  static uint64_t slot_va(uint32_t slot) { return BUF_VA + uint64_t{slot} * BUF_SLOT; }

  // Releases p's capability `cap` (CAP_OP_RELEASE); its completion
  // carries RELEASE_UD.
  static constexpr uint64_t RELEASE_UD = ~0ull;
  void release(Process& p, uint32_t cap);
  // The kernel's teardown order (Process::exit): IPC, then caps, then records.
  void exit(Process& p);
  bool alive(const Process& p) const;

  // Counts under the lock.
  uint32_t outstanding(Process& p);
  uint32_t serving(Process& p);
  uint32_t pending_recvs(Process& p);

 private:
  std::vector<std::unique_ptr<Process>> procs_;
  std::vector<Process*> dead_;
};

}  // namespace capos::test
