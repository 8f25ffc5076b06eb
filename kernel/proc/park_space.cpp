#include "kernel/proc/park_space.h"

#include "kernel/dev/timer.h"
#include "kernel/proc/process.h"
#include "lib/abi/errors.h"
#include "lib/abi/layout.h"

namespace capos {

using namespace abi;

namespace {

// Spaces holding at least one waiter with a deadline: the deferred timer
// work looks only at these.
IntrusiveList<ParkSpace, &ParkSpace::timed_node> g_timed CAPOS_GUARDED_BY(g_kernel_lock);

// The park word: 4-byte aligned, inside the user half, readable now.
int32_t read_word(Process& p, uint64_t addr, uint32_t* out) {
  if (addr % 4 || addr < USER_IMAGE_MIN || addr >= USER_TOP - 4) return CAP_ERR_INVALID_PARAMS_BUFFER;
  if (!p.address_space().copy_from_user(out, addr, 4)) return CAP_ERR_INVALID_PARAMS_BUFFER;
  return 0;
}

bool plain_sqe(const CapSqe& sqe) {
  return !sqe.flags && !sqe.cap_id && !sqe.xfer_count && !sqe.reserved0 && !sqe.method_id && !sqe.call_id &&
         !sqe.xfer_addr && !sqe.interface_id;
}

}  // namespace

int32_t ParkSpace::park(Process& p, const CapSqe& sqe) {
  if (!plain_sqe(sqe) || sqe.result_len) return CAP_ERR_INVALID_REQUEST;
  uint64_t timeout = sqe.result_addr;
  if (timeout != ~0ull && timeout > MAX_TIMEOUT_NS) return CAP_ERR_INVALID_REQUEST;
  uint32_t value = 0;
  if (int32_t r = read_word(p, sqe.params_addr, &value)) return r;
  if (value != sqe.params_len) return CAP_ERR_PARK_VALUE_CHANGED;
  if (timeout == 0) return CAP_ERR_TIMED_OUT;
  auto rec = ipc::defer_op(p, sqe.user_data, *this, sqe.params_addr);
  if (!rec) return CAP_ERR_QUOTA_EXCEEDED;  // outstanding calls or kernel bytes
  IpcCall* c = *rec;
  c->deadline = timeout == ~0ull ? ~0ull : timer::now_ns() + timeout;
  table_.park(c);
  if (c->deadline != ~0ull && !timed_node.linked()) g_timed.push_back(this);
  return ipc::PENDING;
}

int32_t ParkSpace::unpark(Process& p, const CapSqe& sqe) {
  if (!plain_sqe(sqe) || sqe.result_addr || sqe.result_len) return CAP_ERR_INVALID_REQUEST;
  uint32_t count = sqe.params_len;
  if (count == 0 || count > UNPARK_MAX) return CAP_ERR_INVALID_REQUEST;
  uint32_t ignored = 0;
  if (int32_t r = read_word(p, sqe.params_addr, &ignored)) return r;
  uint32_t n = table_.wake(sqe.params_addr, count, [](IpcCall* c) {
    g_kernel_lock.assert_held();  // the analysis does not look into lambdas
    ipc::complete_op(c, 0);
  });
  update_timed();
  return static_cast<int32_t>(n);
}

void ParkSpace::address_removed(uint64_t va, uint64_t len) {
  if (table_.empty()) return;
  table_.cancel_range(va, len, [](IpcCall* c) {
    g_kernel_lock.assert_held();
    ipc::complete_op(c, CAP_ERR_CANCELLED);
  });
  update_timed();
}

void ParkSpace::cancel(IpcCall* c) {
  // The record is freed by the caller right after.
  table_.remove(c);
  update_timed();
}

void ParkSpace::expire(uint64_t now) {
  table_.expire(now, [](IpcCall* c) {
    g_kernel_lock.assert_held();
    ipc::complete_op(c, CAP_ERR_TIMED_OUT);
  });
}

void ParkSpace::update_timed() {
  if (timed_node.linked() && table_.earliest_deadline() == ~0ull) g_timed.remove(this);
}

void ParkSpace::expire_all() {
  if (g_timed.empty()) return;
  uint64_t now = timer::now_ns();
  for (ParkSpace* s = g_timed.front(); s;) {
    ParkSpace* next = g_timed.next(s);
    s->expire(now);
    s->update_timed();
    s = next;
  }
}

}  // namespace capos
