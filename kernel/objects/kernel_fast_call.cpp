// The kernel-cap fast path (kernel_fast_call.h). Every check
// ProcessRingHandler::call makes for this shape is made first, on fields
// read once from the shared page; the reply is built by the object's
// fast_reply, which runs the same generated builder and method as the
// generic dispatch. The QEMU test kernel_caps_empty_params compares both.
#include "kernel/objects/kernel_fast_call.h"

#include "kernel/cap/kernel_cap.h"
#include "kernel/debug/measure.h"
#include "kernel/proc/process.h"
#include "lib/abi/ring.h"

namespace capos {

using namespace abi;

namespace {
// One field of the SQE in the shared page, read once.
template <class T> T ld(const T& field) { return __atomic_load_n(&field, __ATOMIC_RELAXED); }
}  // namespace

bool kernel_fast_call(Process& p, RingEngine& ring) {
  // The slot at sq_head, its fields read once each (peek_count below says
  // whether it is the one pending SQE; until then nothing is acted on).
  // The cheapest tests first: every other kernel-cap CALL declines early.
  const CapSqe& s = ring.pending_sqe(0);
  // The generic CALL takes flags, caps and params; this shape has none.
  if (ld(s.flags) || ld(s.reserved0) || ld(s.xfer_count) || ld(s.params_len)) return false;
  // The first kernel-cap CALL allocates the scratch (and may fail): generic.
  if (!p.has_scratch()) return false;
  CAPOS_MEASURE_SEG(Lookup);
  auto slot = p.caps().lookup(ld(s.cap_id));
  if (!slot) return false;
  const CapSlot* cs = *slot;
  uint64_t iface = ld(s.interface_id);
  if (iface && iface != cs->interface_id) return false;
  KernelCap* kcap = down_cast<KernelCap>(cs->object);  // a wrapped cap is not one
  if (!kcap) return false;
  uint32_t result_len = ld(s.result_len);
  if (result_len == 0 || result_len > Process::SCRATCH_BYTES) return false;
  // The method reads state only (fast_reply's contract): built before the
  // ring and the buffer are checked, and dropped when either declines.
  CAPOS_MEASURE_SEG(Body);
  alignas(8) uint8_t reply[KernelCap::FAST_REPLY_MAX];
  auto n = kcap->fast_reply(cs->interface_id, ld(s.method_id), MutBytes(reply, sizeof reply));
  if (!n || *n > result_len) return false;
  uint64_t result_addr = ld(s.result_addr);
  uint64_t user_data = ld(s.user_data);
  if (ring.peek_count(1, 1u << CAP_OP_CALL) != 1) return false;
  // The whole result range, as the generic path checks it before the method
  // runs: in one present writable page (then check_user passes it too).
  CAPOS_MEASURE_SEG(CopyOut);
  uint8_t* dst = p.address_space().direct(UserOut(UserAddr(result_addr), result_len));
  if (!dst) return false;
  memcpy(dst, reply, *n);
  ring.take();
  CapCqe cqe{};
  cqe.user_data = user_data;
  cqe.result = static_cast<int32_t>(*n);
  CAPOS_MEASURE_SEG(Post);
  ring.complete(cqe);
  CAPOS_MEASURE_SEG(Enter);
  return true;
}

}  // namespace capos
