// The shell's network commands (docs/shell.md, docs/net.md): ifconfig
// (alias net), ping, resolve and fetch, over the optional grants
// "netmgr" (NetworkManager), "dns" (Resolver) and "connect"
// (TcpConnector). Without a grant the command says so in one line.
#pragma once

#include <stdint.h>

#include "lib/core/cstring.h"

namespace capos::shell {

// Where the commands print (the shell's console writer, '\n' line ends).
using NetOut = void (*)(StrView text);

void cmd_ifconfig(NetOut out, const StrView* argv, uint32_t argc);
void cmd_ping(NetOut out, const StrView* argv, uint32_t argc);
void cmd_resolve(NetOut out, const StrView* argv, uint32_t argc);
void cmd_fetch(NetOut out, const StrView* argv, uint32_t argc);

}  // namespace capos::shell
