#include "user/libc/os/tcp_io.h"

#include "lib/core/cstring.h"
#include "schema/net.capnp.capos.h"

namespace capos::libc {

namespace wire = schema::wire;

namespace {

capos_errno conn_errno(Err e) { return e == Err::InvalidArgument ? CAPOS_EPIPE : CAPOS_ECONNRESET; }

}  // namespace

Result<size_t, capos_errno> tcp_read(capnp::Transport& t, uint32_t cap, uint8_t* buf, size_t n) {
  if (n == 0) return size_t{0};
  alignas(8) uint8_t pbuf[64];
  alignas(8) uint8_t rbuf[kTcpChunk + 256];
  capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
  auto p = wire::TcpSocket::Client::readParams(params);
  if (!p) return fail(CAPOS_EIO);
  size_t want = n < kTcpChunk ? n : kTcpChunk;
  p->setMaxBytes(static_cast<uint32_t>(want));
  capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
  wire::TcpSocket::Client c(&t, capnp::Cap<wire::TcpSocket>::unchecked(cap));
  auto r = c.read(params, resp);
  if (!r) return fail(r.error() == Err::InvalidArgument ? CAPOS_EIO : CAPOS_ECONNRESET);
  if (r->getEof()) return size_t{0};
  auto d = r->getData();
  if (!d || d->size() > want) return fail(CAPOS_EIO);
  memcpy(buf, d->data(), d->size());
  return d->size();
}

Result<size_t, capos_errno> tcp_write(capnp::Transport& t, uint32_t cap, const uint8_t* buf, size_t n) {
  wire::TcpSocket::Client c(&t, capnp::Cap<wire::TcpSocket>::unchecked(cap));
  size_t done = 0;
  while (done < n) {
    alignas(8) uint8_t pbuf[kTcpChunk + 256];
    alignas(8) uint8_t rbuf[128];
    size_t chunk = n - done < kTcpChunk ? n - done : kTcpChunk;
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
    auto p = wire::TcpSocket::Client::writeParams(params);
    if (!p || !p->setData(Bytes(buf + done, chunk))) return fail(CAPOS_EIO);
    capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
    auto r = c.write(params, resp);
    if (!r) {
      if (done > 0) return done;  // a short write; the next one reports it
      return fail(conn_errno(r.error()));
    }
    uint32_t took = r->getAccepted();
    if (took == 0 || took > chunk) return fail(CAPOS_EIO);
    done += took;
  }
  return done;
}

}  // namespace capos::libc
