// The socket layer's decisions without any I/O (host-tested,
// host.SockState.*): which call a socket accepts in which state and the
// errno POSIX gives otherwise, struct sockaddr_in in and out of the
// caller's memory, and service strings. os/sockets.cpp does the calls on
// netd's capabilities. docs/posix.md.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "user/libc/os/fd_api.h"

namespace capos::libc {

using Errno = capos_errno;

// Fresh: socket() made it; Bound: bind() recorded a port; Listening: it
// holds a TcpListener; Connected: it holds a TcpSocket (from connect or
// accept).
enum class SockState : uint8_t { Fresh, Bound, Listening, Connected };
enum class SockOp : uint8_t { Bind, Listen, Connect, Accept, Transfer, Shutdown, PeerName };

// The state after `op` succeeds on a socket in `s`, or the errno for
// calling it there. An unchanged state for Listen on a listening socket
// means there is nothing to do (a second listen() succeeds, as on Linux).
Result<SockState, Errno> sock_next(SockState s, SockOp op);

// An IPv4 endpoint in host byte order.
struct Inet4 {
  uint32_t addr = 0;
  uint16_t port = 0;
};

constexpr uint32_t kSockaddrInLen = 16;
constexpr uint16_t kAfInet = 2;

// A struct sockaddr_in the caller passed: EINVAL when `sa` is null or
// `len` shorter than one, EAFNOSUPPORT for another family.
Result<Inet4, Errno> decode_sockaddr_in(const void* sa, uint32_t len);
// Stores the sockaddr_in of `a`, cut to the caller's `*len` bytes, and
// sets `*len` to its full size (POSIX's truncation rule).
void encode_sockaddr_in(Inet4 a, void* sa, uint32_t* len);
// A service: decimal digits for a port 0 to 65535 (no service names:
// there is no /etc/services); EINVAL otherwise.
Result<uint16_t, Errno> parse_service(const char* s);

}  // namespace capos::libc
