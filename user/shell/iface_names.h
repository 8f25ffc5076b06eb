// Interface id -> name for `caps`, written once from the generated
// kInterfaceId constants (so a schema id change is a compile-time change
// here too). Unknown ids print as hex.
#pragma once

#include "schema/ipc.capnp.capos.h"
#include "schema/kernel.capnp.capos.h"
#include "schema/manifest.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "schema/process.capnp.capos.h"
#include "schema/identity.capnp.capos.h"
#include "schema/services.capnp.capos.h"
#include "schema/storage.capnp.capos.h"

namespace capos::shell {

struct IfaceName {
  uint64_t id;
  const char* name;
};

#define CAPOS_IFACE(N) {schema::wire::N::kInterfaceId, #N}
inline constexpr IfaceName kIfaceNames[] = {
    CAPOS_IFACE(Endpoint),      CAPOS_IFACE(ClientEndpoint),  CAPOS_IFACE(EndpointFactory),
    CAPOS_IFACE(Console),       CAPOS_IFACE(Timer),           CAPOS_IFACE(EntropySource),
    CAPOS_IFACE(LogSink),       CAPOS_IFACE(LogReader),       CAPOS_IFACE(SystemStatus),
    CAPOS_IFACE(SystemControl), CAPOS_IFACE(BootPackage),     CAPOS_IFACE(VirtualMemory),
    CAPOS_IFACE(FrameAllocator), CAPOS_IFACE(MemoryObject),   CAPOS_IFACE(ProcessSpawner),
    CAPOS_IFACE(ProcessHandle), CAPOS_IFACE(ThreadControl),   CAPOS_IFACE(ThreadSpawner),
    CAPOS_IFACE(ThreadHandle),  CAPOS_IFACE(SystemInfo),      CAPOS_IFACE(Manual),
    CAPOS_IFACE(ProcessLauncher), CAPOS_IFACE(Revoker),
    // identity.capnp (docs/identity.md)
    CAPOS_IFACE(TerminalSession), CAPOS_IFACE(StdIO),          CAPOS_IFACE(CredentialStore),
    CAPOS_IFACE(AuthorityBroker), CAPOS_IFACE(SessionManager), CAPOS_IFACE(Lifecycle),
    CAPOS_IFACE(AuditLog),      CAPOS_IFACE(UserSession),
    CAPOS_IFACE(ProcessLauncher), CAPOS_IFACE(NetworkManager), CAPOS_IFACE(TcpListenAuthority),
    CAPOS_IFACE(TcpListener),   CAPOS_IFACE(TcpSocket),       CAPOS_IFACE(TcpConnector),
    CAPOS_IFACE(UdpSocket),     CAPOS_IFACE(Resolver),
    // storage.capnp (docs/storage.md)
    CAPOS_IFACE(Directory),     CAPOS_IFACE(File),            CAPOS_IFACE(Store),
};
#undef CAPOS_IFACE

inline const char* iface_name(uint64_t id) {
  for (const IfaceName& n : kIfaceNames)
    if (n.id == id) return n.name;
  return nullptr;
}

}  // namespace capos::shell
