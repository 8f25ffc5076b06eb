#include "user/net/tcp_shared.h"
#include "user/rt/caps_call.h"
#include "user/rt/memory_map.h"

namespace capos::net_client {

namespace wire = schema::wire;

Result<SharedMapping> open_tcp_shared(rt::Cap<wire::TcpSocket> sock) {
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  CAPOS_TRY(wire::TcpSocket::Client::buffersParams(params));
  SharedMapping m;
  m.memory = CAPOS_TRY(rt::call_for_cap<wire::MemoryObject>(
      sock, static_cast<uint16_t>(wire::TcpSocket::Method::BUFFERS), params, resp));
  auto at = rt::map_memory(m.memory, sizeof(net::StreamRings));
  if (!at || !net::stream_rings_valid(*static_cast<net::StreamRings*>(*at))) {
    if (at) (void)rt::unmap_memory(m.memory, *at);
    rt::release_cap(m.memory);
    return fail(at ? Err::Corrupt : at.error());
  }
  m.rings = static_cast<net::StreamRings*>(*at);
  return m;
}

void close_tcp_shared(SharedMapping& m) {
  if (!m.rings) return;
  (void)rt::unmap_memory(m.memory, m.rings);
  rt::release_cap(m.memory);
  m.rings = nullptr;
}

}  // namespace capos::net_client

namespace capos::net_client {

Status RingSyncArm::arm(uint64_t sock) {
  if (call_.pending) return fail(Err::Busy);
  alignas(8) uint8_t pbuf[64];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
  auto p = CAPOS_TRY(wire::TcpSocket::Client::syncParams(params));
  p.setWaitReadable(true);
  return rt::submit_call(call_, static_cast<uint32_t>(sock), wire::TcpSocket::kInterfaceId,
                         static_cast<uint16_t>(wire::TcpSocket::Method::SYNC), params, MutBytes(result_, sizeof result_));
}

Status RingSyncArm::result() {
  capnp::Response resp(MutBytes(result_, sizeof result_));
  return rt::finish_call(call_, resp, Span<abi::CapTransferRecord>(), nullptr);
}

Result<bool> RingSyncArm::reap() {
  if (!call_.pending) return false;
  if (!rt::poll_call(call_)) return false;
  CAPOS_TRY_STATUS(result());
  return true;
}

Status RingSyncArm::wait() {
  if (!call_.pending) return {};
  rt::AsyncCall* one[1] = {&call_};
  CAPOS_TRY(rt::wait_any(Span<rt::AsyncCall* const>(one, 1)));
  return result();
}

}  // namespace capos::net_client
