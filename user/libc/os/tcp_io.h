// Byte transfer on a TcpSocket capability (schema/net.capnp) for the
// socket fds, over any capnp::Transport: the ring in a program
// (os/sockets.cpp passes rt::transport()), a LoopbackTransport with a fake
// TcpSocket in host.TcpIo.*. No fd state and no locks here.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/capnp/rpc.h"
#include "lib/core/result.h"
#include "user/libc/os/fd_api.h"

namespace capos::libc {

// One TcpSocket.read of at most min(n, kTcpChunk) bytes: what arrived, 0 at
// end of stream. ECONNRESET when the call fails (reset, timed out, netd
// gone), EIO for a reply that breaks the contract (more than asked).
Result<size_t, capos_errno> tcp_read(capnp::Transport& t, uint32_t cap, uint8_t* buf, size_t n);
// Every byte, in TcpSocket.write calls of at most kTcpChunk (netd may take
// fewer; the rest is offered again). A failure after some bytes is a short
// count; before any: EPIPE for invalidArgument (after shutdown), else
// ECONNRESET; EIO for a reply accepting 0 or more than offered.
Result<size_t, capos_errno> tcp_write(capnp::Transport& t, uint32_t cap, const uint8_t* buf, size_t n);

constexpr size_t kTcpChunk = 4096;

}  // namespace capos::libc
