// The scopes netd's manifest grants carry in their cap names (the
// manifest is the only place a scope is written; docs/configuration.md):
//   listen-<first>-<last>                           TcpListenAuthority
//   connect-<a.b.c.d>-<prefix>-<first>-<last>       TcpConnector
//   udp-<port>-<a.b.c.d>-<prefix>-<first>-<last>    UdpSocket
// Ports are 1-65535 with first <= last; the network has no bits set
// beyond its prefix (0-32).
#pragma once

#include "lib/net/wire.h"

namespace capos::net {

enum class GrantKind : uint8_t { Listen, Connect, Udp };

struct GrantScope {
  uint16_t port = 0;   // Udp: the bound port
  Ip4 network = 0;     // Connect, Udp
  uint8_t prefix = 0;  // Connect, Udp
  uint16_t first = 0;
  uint16_t last = 0;
};

// Errors: InvalidArgument for a name of the wrong form or out-of-range values.
Result<GrantScope> parse_grant_name(GrantKind kind, const char* name, size_t len);

}  // namespace capos::net
