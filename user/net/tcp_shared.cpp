#include "user/net/tcp_shared.h"

#include "schema/net.capnp.capos.h"

namespace capos::net_client {

namespace wire = schema::wire;

TcpShared::TcpShared(capnp::Transport& t, uint64_t sock, net::StreamRings& rings)
    : t_(t), sock_(sock), rings_(rings), rx_(net::StreamConsumer::rx(rings)), tx_(net::StreamProducer::tx(rings)) {}

Status TcpShared::sync(bool readable, bool writable) {
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
  auto p = CAPOS_TRY(wire::TcpSocket::Client::syncParams(params));
  p.setWaitReadable(readable);
  p.setWaitWritable(writable);
  capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
  wire::TcpSocket::Client c(&t_, capnp::Cap<wire::TcpSocket>::unchecked(static_cast<uint32_t>(sock_)));
  CAPOS_TRY(c.sync(params, resp));
  return {};
}

size_t TcpShared::buffered() const {
  auto r = rx_.ready();
  return r.ok() ? r->size() : 0;
}

Result<size_t> TcpShared::read(MutBytes out) {
  if (out.size() == 0) return size_t{0};
  for (;;) {
    size_t n = CAPOS_TRY(rx_.pop(out));
    if (n > 0) {
      // netd had more than fitted: it waits for us to say there is room.
      if (__atomic_exchange_n(&rings_.rx_blocked.value, 0u, __ATOMIC_SEQ_CST) != 0)
        CAPOS_TRY_STATUS(sync(false, false));
      return n;
    }
    // Empty: the end is written only after the last byte's tail, so
    // look at the end first and then once more at the ring.
    uint32_t end = __atomic_load_n(&rings_.rx_end.value, __ATOMIC_ACQUIRE);
    if (end != static_cast<uint32_t>(net::StreamEnd::Open)) {
      auto more = CAPOS_TRY(rx_.ready());
      if (more.size() > 0) continue;
      if (end == static_cast<uint32_t>(net::StreamEnd::Eof)) return size_t{0};
      return fail(Err::Disconnected);
    }
    CAPOS_TRY_STATUS(sync(true, false));
  }
}

Status TcpShared::write(Bytes data) {
  while (data.size() > 0) {
    size_t n = CAPOS_TRY(tx_.push(data));
    data = Bytes(data.data() + n, data.size() - n);
    // Hand netd what is queued; with the ring full, wait for room.
    CAPOS_TRY_STATUS(sync(false, n == 0));
  }
  return {};
}

}  // namespace capos::net_client
