#include "user/net/tcp_stream.h"

#include "lib/core/cstring.h"
#include "user/rt/transport.h"

namespace capos::net_client {

namespace wire = schema::wire;

namespace {

// Message buffers: one stream is used by one thread at a time.
alignas(8) uint8_t g_pbuf[wire::MAX_TCP_WRITE_BYTES + 256];
alignas(8) uint8_t g_rbuf[wire::MAX_TCP_READ_BYTES + 256];

}  // namespace

Status TcpStream::open(rt::Cap<wire::TcpSocket> sock) {
  sock_ = sock;
  map_ = SharedMapping{};
  auto m = open_tcp_shared(sock);
  if (m) {
    map_ = *m;
    return {};
  }
  if (m.error() == Err::Unsupported) return {};  // netd has no memory for them: messages
  return fail(m.error());
}

void TcpStream::close() { close_tcp_shared(map_); }

Result<size_t> TcpStream::read(MutBytes out) {
  if (out.size() == 0) return size_t{0};
  if (map_.rings) return TcpShared(rt::transport(), sock_.id(), *map_.rings).read(out);
  wire::TcpSocket::Client c(&rt::transport(), sock_);
  capnp::FixedMessageBuilder p(MutBytes(g_pbuf, sizeof g_pbuf));
  auto rp = CAPOS_TRY(wire::TcpSocket::Client::readParams(p));
  rp.setMaxBytes(static_cast<uint32_t>(out.size() < wire::MAX_TCP_READ_BYTES ? out.size() : wire::MAX_TCP_READ_BYTES));
  capnp::Response r(MutBytes(g_rbuf, sizeof g_rbuf));
  auto res = CAPOS_TRY(c.read(p, r));
  if (res.getEof()) return size_t{0};
  Bytes data = CAPOS_TRY(res.getData());
  if (data.empty() || data.size() > out.size()) return fail(Err::Corrupt);
  memcpy(out.data(), data.data(), data.size());
  return data.size();
}

Status TcpStream::write(Bytes data) {
  if (map_.rings) return TcpShared(rt::transport(), sock_.id(), *map_.rings).write(data);
  wire::TcpSocket::Client c(&rt::transport(), sock_);
  while (data.size() > 0) {
    size_t n = data.size() < wire::MAX_TCP_WRITE_BYTES ? data.size() : wire::MAX_TCP_WRITE_BYTES;
    capnp::FixedMessageBuilder p(MutBytes(g_pbuf, sizeof g_pbuf));
    auto wp = CAPOS_TRY(wire::TcpSocket::Client::writeParams(p));
    if (!wp.setData(Bytes(data.data(), n))) return fail(Err::Failed);
    capnp::Response r(MutBytes(g_rbuf, sizeof g_rbuf));
    auto res = CAPOS_TRY(c.write(p, r));
    uint32_t took = res.getAccepted();
    if (took == 0 || took > n) return fail(Err::Corrupt);
    data = Bytes(data.data() + took, data.size() - took);
  }
  return {};
}

}  // namespace capos::net_client
