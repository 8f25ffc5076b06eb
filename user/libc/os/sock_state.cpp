#include "user/libc/os/sock_state.h"

#include "lib/core/cstring.h"

namespace capos::libc {

Result<SockState, Errno> sock_next(SockState s, SockOp op) {
  switch (op) {
    case SockOp::Bind:
      if (s == SockState::Fresh) return SockState::Bound;
      return fail(CAPOS_EINVAL);  // already bound (or connected, listening)
    case SockOp::Listen:
      if (s == SockState::Bound || s == SockState::Listening) return SockState::Listening;
      if (s == SockState::Fresh) return fail(CAPOS_EDESTADDRREQ);  // no port to listen on
      return fail(CAPOS_EINVAL);
    case SockOp::Connect:
      if (s == SockState::Fresh || s == SockState::Bound) return SockState::Connected;
      if (s == SockState::Connected) return fail(CAPOS_EISCONN);
      return fail(CAPOS_EOPNOTSUPP);  // a listening socket cannot connect
    case SockOp::Accept:
      if (s == SockState::Listening) return s;
      return fail(CAPOS_EINVAL);
    case SockOp::Transfer:
    case SockOp::Shutdown:
    case SockOp::PeerName:
      if (s == SockState::Connected) return s;
      return fail(CAPOS_ENOTCONN);
  }
  return fail(CAPOS_EINVAL);
}

// struct sockaddr_in (config/netinet/in.h): family, port and address in
// network byte order, 8 bytes of zero.
Result<Inet4, Errno> decode_sockaddr_in(const void* sa, uint32_t len) {
  if (sa == nullptr || len < kSockaddrInLen) return fail(CAPOS_EINVAL);
  uint8_t b[kSockaddrInLen];
  memcpy(b, sa, sizeof b);
  uint16_t family = static_cast<uint16_t>(b[0] | (b[1] << 8));
  if (family != kAfInet) return fail(CAPOS_EAFNOSUPPORT);
  Inet4 a;
  a.port = static_cast<uint16_t>((b[2] << 8) | b[3]);
  a.addr = (uint32_t{b[4]} << 24) | (uint32_t{b[5]} << 16) | (uint32_t{b[6]} << 8) | b[7];
  return a;
}

void encode_sockaddr_in(Inet4 a, void* sa, uint32_t* len) {
  uint8_t b[kSockaddrInLen] = {static_cast<uint8_t>(kAfInet), 0, static_cast<uint8_t>(a.port >> 8),
                               static_cast<uint8_t>(a.port), static_cast<uint8_t>(a.addr >> 24),
                               static_cast<uint8_t>(a.addr >> 16), static_cast<uint8_t>(a.addr >> 8),
                               static_cast<uint8_t>(a.addr)};
  if (sa != nullptr) memcpy(sa, b, *len < kSockaddrInLen ? *len : kSockaddrInLen);
  *len = kSockaddrInLen;
}

Result<uint16_t, Errno> parse_service(const char* s) {
  if (s == nullptr || *s == '\0') return fail(CAPOS_EINVAL);
  uint32_t v = 0;
  for (const char* p = s; *p; ++p) {
    if (*p < '0' || *p > '9' || p - s >= 5) return fail(CAPOS_EINVAL);
    v = v * 10 + static_cast<uint32_t>(*p - '0');
  }
  if (v > 65535) return fail(CAPOS_EINVAL);
  return static_cast<uint16_t>(v);
}

}  // namespace capos::libc
