#include "tests/host/ipc/ipc_harness.h"

#include <gtest/gtest.h>
#include <string.h>

#include <algorithm>

#include "kernel/ipc/fast_path.h"
#include "lib/abi/errors.h"

namespace capos::test {

using namespace abi;

namespace {

// Endpoint operations only, dispatched like kernel/ring/dispatch.cpp, with
// its checks of flags, reserved bytes and the expected interface (the
// fast path must leave every SQE those refuse to them).
class IpcHandler final : public SqeHandler {
 public:
  explicit IpcHandler(Process& p) : p_(p) {}
  Outcome handle(const CapSqe& sqe, CapCqe* cqe) override CAPOS_NO_THREAD_SAFETY_ANALYSIS {
    g_kernel_lock.assert_held();
    CapResult r = dispatch(sqe, cqe);
    if (!r) {
      // Every failure names the check that failed.
      EXPECT_NE(r.error().detail()[0], '\0');
      cqe->result = r.error().cqe_result();
      return Outcome::Completed;
    }
    if (r->is_pending()) return Outcome::Pending;
    cqe->result = static_cast<int32_t>(r->bytes());
    return Outcome::Completed;
  }

 private:
  CapResult dispatch(const CapSqe& sqe, CapCqe* cqe) CAPOS_REQUIRES(g_kernel_lock) {
    switch (sqe.opcode) {
      case CAP_OP_CALL: {
        if (sqe.flags || sqe.reserved0) return CAPOS_CAP_FAIL(INVALID_REQUEST, "CALL with unknown flags or reserved bytes");
        auto slot = p_.caps().lookup(sqe.cap_id);
        if (!slot) return fail(lookup_error(slot.error()));
        if (sqe.interface_id && sqe.interface_id != (*slot)->interface_id)
          return CAPOS_CAP_FAIL(INTERFACE_MISMATCH, "the cap's interface is not the one the SQE names");
        return ipc::call(p_, (*slot)->object, sqe);
      }
      case CAP_OP_RECV: {
        if (sqe.flags || sqe.reserved0 || sqe.xfer_count)
          return CAPOS_CAP_FAIL(INVALID_REQUEST, "RECV with flags, reserved bytes or transfer descriptors");
        auto slot = p_.caps().lookup(sqe.cap_id);
        if (!slot) return fail(lookup_error(slot.error()));
        return ipc::recv(p_, (*slot)->object, sqe, cqe);
      }
      case CAP_OP_RETURN:
        if ((sqe.flags & ~SQE_F_EXCEPTION) || sqe.reserved0)
          return CAPOS_CAP_FAIL(INVALID_REQUEST, "RETURN with unknown flags or reserved bytes");
        return ipc::ret(p_, sqe);
      case CAP_OP_RELEASE: {
        if (sqe.flags) return CAPOS_CAP_FAIL(INVALID_REQUEST, "RELEASE with flags");
        auto r = p_.caps().remove(sqe.cap_id);
        if (!r) return fail(lookup_error(r.error()));
        return Completion::done();
      }
      default: return CAPOS_CAP_FAIL(INVALID_REQUEST, "opcode not handled by the IPC harness");
    }
  }
  Process& p_;
};

// The kernel lock for one kernel entry.
class CAPOS_SCOPED_CAPABILITY Entry {
 public:
  Entry() CAPOS_ACQUIRE(g_kernel_lock) { g_kernel_lock.acquire(); }
  ~Entry() CAPOS_RELEASE() { g_kernel_lock.release(); }
};

}  // namespace

World::World() = default;

World::~World() {
  for (auto& p : procs_)
    if (alive(*p)) exit(*p);
}

Process& World::spawn(uint64_t session_id) {
  procs_.push_back(std::make_unique<Process>(session_id ? session_id : procs_.size() + 1));
  Process& p = *procs_.back();
  p.address_space().map(PARAMS_VA, PARAMS_LEN, false);
  p.address_space().map(XFER_VA, 0x1000, false);
  p.address_space().map(BUF_VA, BUF_SLOT * BUF_SLOTS, true);
  return p;
}

uint32_t World::make_endpoint(Process& server) {
  Entry e;
  Ref<EndpointOwner> owner = EndpointOwner::create(EndpointCore::create(0x1234));
  auto id = server.caps().insert(Ref<KObject>(move(owner)), 0);
  EXPECT_TRUE(id.ok());
  return id.ok() ? *id : 0;
}

uint32_t World::grant_client(Process& server, uint32_t owner_cap, Process& client) {
  Entry e;
  auto slot = server.caps().lookup(owner_cap);
  EXPECT_TRUE(slot.ok());
  if (!slot) return 0;
  EndpointOwner* owner = down_cast<EndpointOwner>((*slot)->object);
  EXPECT_NE(owner, nullptr);
  auto id = client.caps().insert(Ref<KObject>(ClientEndpoint::create(Ref<EndpointCore>::share(owner->core()))), 0);
  EXPECT_TRUE(id.ok());
  return id.ok() ? *id : 0;
}

bool g_use_fast_path = false;

uint32_t World::submit(Process& p, const CapSqe& sqe, uint8_t slot) { return submit_batch(p, {sqe}, slot); }

uint32_t World::submit_batch(Process& p, const std::vector<CapSqe>& sqes, uint8_t slot) {
  EXPECT_TRUE(alive(p));
  RingPage& page = p.ring_page(slot);
  for (const CapSqe& sqe : sqes) {
    page.sq[page.header.sq_tail % SQ_ENTRIES] = sqe;
    ++page.header.sq_tail;
  }
  Entry e;
  ipc::env::g_current_slot = slot;  // the thread owning this ring is in the kernel
  uint32_t consumed = 0;
  if (g_use_fast_path && ipc::fast_path(p, p.ring(slot))) {
    consumed = static_cast<uint32_t>(sqes.size());  // all or nothing
  } else {
    IpcHandler h(p);
    auto r = p.ring(slot).drain(h);
    EXPECT_FALSE(r.sq_corrupt);
    consumed = r.consumed;
  }
  ipc::env::g_current_slot = 0;
  return consumed;
}

CapSqe World::recv_sqe(uint32_t cap, uint64_t user_data, uint32_t slot, uint32_t buf_len) {
  CapSqe s{};
  s.opcode = CAP_OP_RECV;
  s.cap_id = cap;
  s.user_data = user_data;
  s.result_addr = slot_va(slot);
  s.result_len = buf_len;
  return s;
}

CapSqe World::call_sqe(uint32_t cap, uint64_t user_data, uint32_t params_len, uint32_t slot, uint32_t result_len) {
  CapSqe s{};
  s.opcode = CAP_OP_CALL;
  s.cap_id = cap;
  s.user_data = user_data;
  s.params_addr = PARAMS_VA;
  s.params_len = params_len;
  s.result_addr = slot_va(slot);
  s.result_len = result_len;
  return s;
}

CapSqe World::ret_sqe(uint32_t cap, uint64_t user_data, uint32_t call_id, uint32_t reply_len) {
  CapSqe s{};
  s.opcode = CAP_OP_RETURN;
  s.cap_id = cap;
  s.user_data = user_data;
  s.call_id = call_id;
  s.params_addr = PARAMS_VA;
  s.params_len = reply_len;
  return s;
}

uint32_t World::call(Process& p, uint32_t cap, uint64_t user_data, const std::vector<uint8_t>& params,
                     uint32_t slot, uint32_t result_len, std::vector<CapTransferDesc> xfer) {
  if (!params.empty()) memcpy(p.address_space().at(PARAMS_VA, params.size()), params.data(), params.size());
  if (!xfer.empty()) memcpy(p.address_space().at(XFER_VA, xfer.size() * sizeof(CapTransferDesc)), xfer.data(),
                            xfer.size() * sizeof(CapTransferDesc));
  CapSqe s = call_sqe(cap, user_data, static_cast<uint32_t>(params.size()), slot, result_len);
  s.method_id = 7;
  s.xfer_addr = XFER_VA;
  s.xfer_count = static_cast<uint16_t>(xfer.size());
  return submit(p, s);
}

uint32_t World::recv(Process& p, uint32_t cap, uint64_t user_data, uint32_t slot, uint32_t buf_len) {
  CapSqe s{};
  s.opcode = CAP_OP_RECV;
  s.cap_id = cap;
  s.user_data = user_data;
  s.result_addr = slot_va(slot);
  s.result_len = buf_len;
  return submit(p, s);
}

uint32_t World::ret(Process& p, uint32_t cap, uint64_t user_data, uint32_t call_id,
                    const std::vector<uint8_t>& reply, bool exception, std::vector<CapTransferDesc> xfer) {
  if (!reply.empty()) memcpy(p.address_space().at(PARAMS_VA, reply.size()), reply.data(), reply.size());
  if (!xfer.empty()) memcpy(p.address_space().at(XFER_VA, xfer.size() * sizeof(CapTransferDesc)), xfer.data(),
                            xfer.size() * sizeof(CapTransferDesc));
  CapSqe s{};
  s.opcode = CAP_OP_RETURN;
  s.cap_id = cap;
  s.user_data = user_data;
  s.call_id = call_id;
  s.flags = exception ? SQE_F_EXCEPTION : 0;
  s.params_addr = PARAMS_VA;
  s.params_len = static_cast<uint32_t>(reply.size());
  s.xfer_addr = XFER_VA;
  s.xfer_count = static_cast<uint16_t>(xfer.size());
  return submit(p, s);
}

std::vector<CapCqe> World::reap(Process& p, uint8_t slot) {
  std::vector<CapCqe> out;
  RingHeader& h = p.ring_page(slot).header;
  while (h.cq_head != h.cq_tail) out.push_back(p.ring_page(slot).cq[h.cq_head++ % CQ_ENTRIES]);
  return out;
}

std::vector<uint8_t> World::slot_bytes(Process& p, uint32_t slot, uint64_t offset, uint64_t len) {
  const uint8_t* b = p.address_space().at(slot_va(slot) + offset, len);
  return b ? std::vector<uint8_t>(b, b + len) : std::vector<uint8_t>{};
}

void World::release(Process& p, uint32_t cap) {
  CapSqe s{};
  s.opcode = CAP_OP_RELEASE;
  s.cap_id = cap;
  s.user_data = RELEASE_UD;
  submit(p, s);
}

void World::exit(Process& p) {
  {
    Entry e;
    ipc::process_exiting(p);
    p.caps().clear();
    ipc::process_reaped(p);
  }
  dead_.push_back(&p);
}

bool World::alive(const Process& p) const { return std::find(dead_.begin(), dead_.end(), &p) == dead_.end(); }

uint32_t World::outstanding(Process& p) {
  Entry e;
  return p.ipc().outstanding_calls();
}
uint32_t World::serving(Process& p) {
  Entry e;
  uint32_t n = 0;
  for (IpcCall* c = p.ipc().serving.front(); c; c = p.ipc().serving.next(c)) ++n;
  return n;
}
uint32_t World::pending_recvs(Process& p) {
  Entry e;
  return p.ipc().armed_recvs();
}

}  // namespace capos::test
