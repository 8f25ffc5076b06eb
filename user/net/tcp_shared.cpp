#include "user/net/tcp_shared.h"

#include "schema/net.capnp.capos.h"

namespace capos::net_client {

namespace wire = schema::wire;

namespace {

class Hold {
 public:
  explicit Hold(RingLock* l) : l_(l) {
    if (l_) l_->lock();
  }
  ~Hold() {
    if (l_) l_->unlock();
  }
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;

 private:
  RingLock* l_;
};

}  // namespace

TcpShared::TcpShared(capnp::Transport& t, uint64_t sock, net::StreamRings& rings, RingLock* rx_lock,
                     RingLock* tx_lock)
    : t_(t), sock_(sock), rings_(rings), rx_lock_(rx_lock), tx_lock_(tx_lock) {}

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
  Hold h(rx_lock_);
  auto r = net::StreamConsumer::rx(rings_).ready();
  return r.ok() ? r->size() : 0;
}

Result<size_t> TcpShared::read(MutBytes out) {
  if (out.size() == 0) return size_t{0};
  for (;;) {
    size_t n;
    {
      Hold h(rx_lock_);
      auto rx = net::StreamConsumer::rx(rings_);
      n = CAPOS_TRY(rx.pop(out));
    }
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
      if (buffered() > 0) continue;
      if (end == static_cast<uint32_t>(net::StreamEnd::Eof)) return size_t{0};
      return fail(Err::Disconnected);
    }
    CAPOS_TRY_STATUS(sync(true, false));
  }
}

Status TcpShared::write(Bytes data) {
  while (data.size() > 0) {
    size_t n;
    {
      Hold h(tx_lock_);
      auto tx = net::StreamProducer::tx(rings_);
      n = CAPOS_TRY(tx.push(data));
    }
    data = Bytes(data.data() + n, data.size() - n);
    // Hand netd what is queued; with the ring full, wait for room.
    CAPOS_TRY_STATUS(sync(false, n == 0));
  }
  return {};
}

}  // namespace capos::net_client
