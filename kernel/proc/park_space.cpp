#include "kernel/proc/park_space.h"

#include "kernel/dev/timer.h"
#include "kernel/proc/process.h"
#include "kernel/ring/sqe_buffers.h"
#include "lib/abi/errors.h"
#include "lib/abi/layout.h"

namespace capos {

using namespace abi;

namespace {

// Spaces holding at least one waiter with a deadline: the deferred timer
// work looks only at these.
IntrusiveList<ParkSpace, &ParkSpace::timed_node> g_timed CAPOS_GUARDED_BY(g_kernel_lock);

// The park word: 4-byte aligned, inside the user half, readable now.
Result<uint32_t, CapError> read_word(Process& p, UserAddr word) {
  uint64_t addr = word.raw();
  if (addr % 4 || addr < USER_IMAGE_MIN || addr >= USER_TOP - 4)
    return CAPOS_CAP_FAIL(INVALID_PARAMS_BUFFER, "park word unaligned or outside the user half");
  uint32_t v = 0;
  if (!p.address_space().copy_from_user(&v, UserIn(word, sizeof v))) return CAPOS_CAP_FAIL(INVALID_PARAMS_BUFFER, "park word unreadable");
  return v;
}

bool plain_sqe(const CapSqe& sqe) {
  return !sqe.flags && !sqe.cap_id && !sqe.xfer_count && !sqe.reserved0 && !sqe.method_id && !sqe.call_id &&
         !sqe.xfer_addr && !sqe.interface_id;
}

}  // namespace

CapResult ParkSpace::park(Process& p, const CapSqe& sqe) {
  if (!plain_sqe(sqe) || sqe.result_len) return CAPOS_CAP_FAIL(INVALID_REQUEST, "PARK with fields it does not use");
  uint64_t timeout = sqe.result_addr;
  if (timeout != ~0ull && timeout > MAX_TIMEOUT_NS) return CAPOS_CAP_FAIL(INVALID_REQUEST, "PARK timeout too long");
  // The word's address rides in params_addr; params_len is the expected value.
  UserAddr word = sqe_params(sqe).addr;
  uint32_t value = CAPOS_TRY(read_word(p, word));
  if (value != sqe.params_len) return CAPOS_CAP_FAIL(PARK_VALUE_CHANGED, "the park word no longer holds the expected value");
  if (timeout == 0) return CAPOS_CAP_FAIL(TIMED_OUT, "PARK with a zero timeout");
  auto rec = ipc::defer_op(p, sqe.user_data, *this, word.raw());  // the table's key
  if (!rec) return CAPOS_CAP_FAIL(QUOTA_EXCEEDED, "outstanding-call or kernel-memory quota reached (park)");
  IpcCall* c = *rec;
  c->deadline = timeout == ~0ull ? ~0ull : timer::now_ns() + timeout;
  table_.park(c);
  if (c->deadline != ~0ull && !timed_node.linked()) g_timed.push_back(this);
  return Completion::pending();
}

CapResult ParkSpace::unpark(Process& p, const CapSqe& sqe) {
  if (!plain_sqe(sqe) || sqe.result_addr || sqe.result_len)
    return CAPOS_CAP_FAIL(INVALID_REQUEST, "UNPARK with fields it does not use");
  uint32_t count = sqe.params_len;
  if (count == 0 || count > UNPARK_MAX) return CAPOS_CAP_FAIL(INVALID_REQUEST, "UNPARK count is 0 or above UNPARK_MAX");
  UserAddr word = sqe_params(sqe).addr;
  CAPOS_TRY(read_word(p, word));  // the word must be readable, its value is not compared
  uint32_t n = table_.wake(word.raw(), count, [](IpcCall* c) {
    g_kernel_lock.assert_held();  // the analysis does not look into lambdas
    ipc::complete_op(c, 0u);
  });
  update_timed();
  return Completion::done(n);
}

void ParkSpace::address_removed(UserAddr va, uint64_t len) {
  if (table_.empty()) return;
  table_.cancel_range(va.raw(), len, [](IpcCall* c) {
    g_kernel_lock.assert_held();
    ipc::fail_op(c, CAPOS_CAP_ERROR(CANCELLED, "the park word's page was unmapped"));
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
    ipc::fail_op(c, CAPOS_CAP_ERROR(TIMED_OUT, "the park timed out"));
  });
}

void ParkSpace::update_timed() {
  if (timed_node.linked() && table_.earliest_deadline() == ~0ull) g_timed.remove(this);
}

uint64_t ParkSpace::next_deadline() {
  uint64_t best = ~0ull;
  for (ParkSpace* s = g_timed.front(); s; s = g_timed.next(s))
    if (uint64_t d = s->table_.earliest_deadline(); d < best) best = d;
  return best;
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
