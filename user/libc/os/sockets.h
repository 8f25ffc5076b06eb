// The socket fds' I/O, for the fd-level calls (os/fd_ops.cpp): read,
// write and the release after the last close (os/sockets.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "user/libc/os/fd_table.h"

namespace capos::libc {

// ENOTCONN unless connected; 0 at end of stream (or after SHUT_RD);
// ECONNRESET once the connection is reset or timed out.
Result<size_t, Errno> socket_read(const OpenFile& f, uint8_t* buf, size_t n);
// Every byte (a short count only after a failure past the first byte);
// EPIPE after shutdown(SHUT_WR), ECONNRESET on a reset connection.
Result<size_t, Errno> socket_write(const OpenFile& f, const uint8_t* buf, size_t n);
// A connection gets FIN (shutdown), then the capability is released.
void socket_release(const OpenFile& f);

}  // namespace capos::libc
