#include "user/libc/os/stream_client.h"

#include "lib/core/cstring.h"

namespace capos::libc {

namespace wire = schema::wire;

Result<size_t, capos_errno> bytestream_read(capnp::Transport& t, uint32_t cap, StreamCallBuffers& b, uint8_t* buf,
                                            size_t n) {
  if (n == 0) return size_t{0};
  capnp::FixedMessageBuilder params(MutBytes(b.pbuf, sizeof b.pbuf));
  auto p = wire::ByteStream::Client::readParams(params);
  if (!p) return fail(CAPOS_EIO);
  size_t want = n < wire::MAX_STREAM_CHUNK_BYTES ? n : wire::MAX_STREAM_CHUNK_BYTES;
  p->setMaxBytes(static_cast<uint32_t>(want));
  capnp::Response resp(MutBytes(b.rbuf, sizeof b.rbuf));
  wire::ByteStream::Client c(&t, capnp::Cap<wire::ByteStream>::unchecked(cap));
  auto r = c.read(params, resp);
  if (!r) return size_t{0};  // the child exited or closed its end: end of file
  auto d = r->getData();
  if (!d || d->size() > want) return fail(CAPOS_EIO);
  memcpy(buf, d->data(), d->size());
  return d->size();
}

Result<size_t, capos_errno> bytestream_write(capnp::Transport& t, uint32_t cap, StreamCallBuffers& b,
                                             const uint8_t* buf, size_t n) {
  wire::ByteStream::Client c(&t, capnp::Cap<wire::ByteStream>::unchecked(cap));
  size_t done = 0;
  while (done < n) {
    size_t chunk = n - done < wire::MAX_STREAM_CHUNK_BYTES ? n - done : wire::MAX_STREAM_CHUNK_BYTES;
    capnp::FixedMessageBuilder params(MutBytes(b.pbuf, sizeof b.pbuf));
    auto p = wire::ByteStream::Client::writeParams(params);
    if (!p || !p->setData(Bytes(buf + done, chunk))) return fail(CAPOS_EIO);
    capnp::Response resp(MutBytes(b.rbuf, sizeof b.rbuf));
    if (!c.write(params, resp)) {
      if (done > 0) return done;
      return fail(CAPOS_EPIPE);
    }
    done += chunk;
  }
  return done;
}

void bytestream_close(capnp::Transport& t, uint32_t cap, StreamCallBuffers& b) {
  capnp::FixedMessageBuilder params(MutBytes(b.pbuf, sizeof b.pbuf));
  capnp::Response resp(MutBytes(b.rbuf, sizeof b.rbuf));
  wire::ByteStream::Client c(&t, capnp::Cap<wire::ByteStream>::unchecked(cap));
  if (wire::ByteStream::Client::closeParams(params)) (void)c.close(params, resp);
}

}  // namespace capos::libc
