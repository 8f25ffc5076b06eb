// The parent's end of a pipe to a spawned child: ByteStream calls
// (schema/posix.capnp) over any capnp::Transport — the ring in a program
// (os/streams.cpp holds the lock and passes rt::transport()), a
// LoopbackTransport with a fake child in host.StreamClient.*.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/capnp/rpc.h"
#include "lib/core/result.h"
#include "schema/posix.capnp.capos.h"
#include "user/libc/os/fd_api.h"

namespace capos::libc {

// One call's framed params and reply (big: kept off small stacks).
struct StreamCallBuffers {
  alignas(8) uint8_t pbuf[schema::wire::MAX_STREAM_CHUNK_BYTES + 256];
  alignas(8) uint8_t rbuf[schema::wire::MAX_STREAM_CHUNK_BYTES + 256];
};

// One ByteStream.read of at most min(n, maxStreamChunkBytes): what the
// child wrote, 0 at end of file — also when the call fails (the child
// exited or closed its end). EIO for more data than asked.
Result<size_t, capos_errno> bytestream_read(capnp::Transport& t, uint32_t cap, StreamCallBuffers& b, uint8_t* buf,
                                            size_t n);
// Every byte in ByteStream.write calls of at most maxStreamChunkBytes; a
// failure after some bytes is a short count, before any EPIPE (the child
// closed its end or exited).
Result<size_t, capos_errno> bytestream_write(capnp::Transport& t, uint32_t cap, StreamCallBuffers& b,
                                             const uint8_t* buf, size_t n);
// ByteStream.close; a child already gone is fine.
void bytestream_close(capnp::Transport& t, uint32_t cap, StreamCallBuffers& b);

}  // namespace capos::libc
