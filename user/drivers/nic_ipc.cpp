#include "user/drivers/nic_ipc.h"

#include "user/rt/recv_wait.h"
#include "user/rt/server.h"
#include "user/rt/transport.h"

namespace capos::drivers {

namespace wire = schema::wire;

Result<bool> PolledEndpoint::poll() {
  if (!posted_) {
    recv_ud_ = rt::post_recv(ep_, recv_, sizeof(recv_));
    posted_ = true;
  }
  abi::CapCqe c{};
  if (!rt::ring().try_take(recv_ud_, &c)) return false;
  posted_ = false;
  if (c.result < 0) {
    if (!rt::recv_error_is_per_call(c.result)) return fail(Err::Disconnected);
  } else if (static_cast<size_t>(c.result) >= sizeof(abi::EndpointMessageHeader)) {
    serve(c.result);
  }
  // The next call can arrive while the loop sleeps (the RECV goes to the
  // kernel with its next cap_enter).
  recv_ud_ = rt::post_recv(ep_, recv_, sizeof(recv_));
  posted_ = true;
  return true;
}

void PolledEndpoint::serve(int32_t received) {
  const auto call = *reinterpret_cast<const abi::EndpointMessageHeader*>(recv_);
  if (hold_method_ >= 0 && call.method_id == static_cast<uint16_t>(hold_method_) &&
      call.interface_id == server_.interface_id()) {
    // A wake-up: kept unanswered (caps a caller attached go back).
    size_t records = size_t{call.xfer_count} * sizeof(abi::CapTransferRecord);
    if (call.xfer_count <= abi::XFER_MAX && static_cast<size_t>(received) == sizeof(call) + call.params_len + records) {
      const auto* caps = reinterpret_cast<const abi::CapTransferRecord*>(recv_ + sizeof(call) + call.params_len);
      for (uint32_t i = 0; i < call.xfer_count; ++i) rt::release_cap(caps[i].cap_id);
    }
    if (held_) answer_held();
    held_ = true;
    held_call_ = call.call_id;
    return;
  }
  abi::CapSqe ret = rt::handle_call(ep_, recv_, received, server_);
  ret.user_data = rt::ring().next_user_data();
  abi::CapCqe done = rt::ring().call(ret);
  (void)rt::finish_return(ret, call, done);  // a caller that vanished is no reason to stop
}

void PolledEndpoint::answer_held() {
  if (!held_) return;
  held_ = false;
  alignas(8) uint8_t buf[64];
  capnp::FixedMessageBuilder mb{MutBytes(buf, sizeof(buf))};
  if (!hold_results_ || !hold_results_(mb)) return;  // cannot happen: an empty struct fits
  abi::CapSqe s{};
  s.opcode = abi::CAP_OP_RETURN;
  s.cap_id = ep_;
  s.call_id = held_call_;
  Bytes payload = mb.framed();
  s.params_addr = reinterpret_cast<uint64_t>(payload.data());
  s.params_len = static_cast<uint32_t>(payload.size());
  s.user_data = rt::ring().next_user_data();
  (void)rt::ring().call(s);  // a caller that went away makes RETURN fail: nothing to do
}

Result<net::NicRings*> map_rings(rt::Cap<wire::MemoryObject> mo, bool check_header) {
  auto* rings = static_cast<net::NicRings*>(CAPOS_TRY(rt::map_memory(mo, sizeof(net::NicRings))));
  if (check_header && !net::rings_valid(*rings)) {
    (void)unmap_rings(mo, rings);
    return fail(Err::InvalidArgument);
  }
  return rings;
}

Status unmap_rings(rt::Cap<wire::MemoryObject> mo, net::NicRings* at) { return rt::unmap_memory(mo, at); }

void Doorbell::ring() {
  if (incoming_ && incoming_->holding()) {
    due_ = false;
    incoming_->answer_held();
    return;
  }
  if (cap_ == 0) return;
  Slot* free = nullptr;
  for (Slot& s : slots_)
    if (!s.call.pending) free = &s;
  if (!free) {
    due_ = true;
    return;
  }
  due_ = false;
  free->stale = false;
  alignas(8) uint8_t pbuf[64];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  if (!build_(params) || !rt::submit_call(free->call, cap_, iface_, method_, params, MutBytes(free->result, sizeof(free->result))))
    due_ = true;
}

Status Doorbell::poll() {
  bool gone = false;
  for (Slot& s : slots_) {
    if (!s.call.pending || !rt::poll_call(s.call)) continue;
    if (s.call.cqe.result < 0 && !s.stale) gone = true;
    s.stale = false;
  }
  if (gone) return fail(Err::Disconnected);
  if (due_) ring();
  return {};
}

}  // namespace capos::drivers
