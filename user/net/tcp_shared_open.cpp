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
