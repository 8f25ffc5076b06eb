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
    if (rt::recv_error_is_per_call(c.result)) return true;
    return fail(Err::Disconnected);
  }
  if (static_cast<size_t>(c.result) < sizeof(abi::EndpointMessageHeader)) return true;
  const auto call = *reinterpret_cast<const abi::EndpointMessageHeader*>(recv_);
  abi::CapSqe ret = rt::handle_call(ep_, recv_, c.result, server_);
  ret.user_data = rt::ring().next_user_data();
  abi::CapCqe done = rt::ring().call(ret);
  (void)rt::finish_return(ret, call, done);  // a caller that vanished is no reason to stop
  return true;
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
  if (cap_ == 0) return;
  if (call_.pending) {
    due_ = true;
    return;
  }
  due_ = false;
  alignas(8) uint8_t pbuf[64];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  if (!build_(params) || !rt::submit_call(call_, cap_, iface_, method_, params, MutBytes(result_, sizeof(result_)))) due_ = true;
}

Status Doorbell::poll() {
  if (!call_.pending || !rt::poll_call(call_)) return {};
  bool stale = stale_;
  stale_ = false;
  if (call_.cqe.result < 0 && !stale) return fail(Err::Disconnected);
  if (due_) ring();
  return {};
}

}  // namespace capos::drivers
