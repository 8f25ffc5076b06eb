// netd's capability side: serves TcpListenAuthority (one endpoint per
// manifest grant, scoped to a port range named in the grant's cap name),
// and the TcpListener and TcpSocket objects it hands out, each on an
// endpoint of its own from EndpointFactory (the client facet moves to the
// caller as the result cap). Calls that must wait (accept with nothing
// established, read with nothing received, write with a full send
// buffer) are parked and answered from the main loop once the stack can;
// an object takes its next call only after the parked one is answered.
// docs/net.md.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/net/stack.h"
#include "schema/ipc.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::drivers {

class NetServer {
 public:
  static constexpr uint32_t MAX_OBJECTS = 24;

  NetServer(net::Stack& stack, rt::Cap<schema::wire::EndpointFactory> factory) : stack_(stack), factory_(factory) {}
  // Serves TcpListenAuthority for ports [first, last] on owner facet `ep`.
  Status add_authority(uint32_t ep, uint16_t first, uint16_t last);
  // Posts RECVs, takes delivered calls, answers parked calls the stack can
  // now satisfy. Returns whether anything happened.
  Result<bool> poll(uint64_t now_ms);

 private:
  enum class Kind : uint8_t { Free, Authority, Listener, Socket };
  struct Object {
    Kind kind = Kind::Free;
    uint32_t ep = 0;             // owner facet
    uint16_t first = 0, last = 0;
    net::NetHandle h{};
    bool recv_posted = false;
    bool parked = false;         // recv holds a call waiting for the stack
    uint64_t recv_ud = 0;
    alignas(16) uint8_t recv[abi::RECV_BUFFER_MAX];
  };

  void post_recv(Object& o);
  // Handles the call in o.recv; false when it must wait (parked).
  bool handle(Object& o, uint64_t now_ms);
  Result<uint32_t> new_object(Kind kind, uint64_t served_interface, uint32_t* client_cap);
  void free_object(Object& o);

  net::Stack& stack_;
  rt::Cap<schema::wire::EndpointFactory> factory_;
  Object objects_[MAX_OBJECTS];
};

}  // namespace capos::drivers
