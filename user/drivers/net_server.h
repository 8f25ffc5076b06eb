// netd's capability side: serves TcpListenAuthority (one endpoint per
// manifest grant, scoped to a port range named in the grant's cap name),
// and the TcpListener and TcpSocket objects it hands out, each on an
// endpoint of its own from EndpointFactory (the client facet moves to the
// caller as the result cap). Calls that must wait (accept with nothing
// established, read with nothing received, write with a full send
// buffer) are parked and answered from the main loop once the stack can;
// an object takes its next call only after the parked one is answered.
// TcpConnector (scoped to destinations), Resolver and NetworkManager
// (net_server_admin.cpp) and UdpSocket (net_server_udp.cpp) are served
// the same way. docs/net.md.
#pragma once

#include "lib/abi/ipc.h"
#include "lib/net/stack.h"
#include "schema/memory.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "user/drivers/net_stream.h"
#include "user/rt/cap.h"

namespace capos::drivers {

class NetServer {
 public:
  static constexpr uint32_t MAX_OBJECTS = 24;

  NetServer(net::Stack& stack, rt::Cap<schema::wire::EndpointFactory> factory) : stack_(stack), factory_(factory) {}
  // Serves TcpListenAuthority for ports [first, last] on owner facet `ep`.
  Status add_authority(uint32_t ep, uint16_t first, uint16_t last);
  // Serves TcpConnector for the destinations network/prefix, ports [first, last].
  Status add_connector(uint32_t ep, net::Ip4 network, uint8_t prefix, uint16_t first, uint16_t last);
  // Serves UdpSocket bound to `port`, talking only to network/prefix, ports [first, last].
  Status add_udp(uint32_t ep, uint16_t port, net::Ip4 network, uint8_t prefix, uint16_t first, uint16_t last);
  Status add_resolver(uint32_t ep);
  Status add_manager(uint32_t ep);
  // Whether NetworkManager.interfaces reports the link up (false when the
  // machine has no network device).
  void set_link_up(bool up) { link_up_ = up; }
  // Where TcpSocket.buffers takes its memory from; without one, buffers
  // answers unsupported and clients keep data in messages.
  void set_frames(rt::Cap<schema::wire::FrameAllocator> frames) { frames_ = frames; has_frames_ = true; }
  // Posts RECVs, takes delivered calls, answers parked calls the stack can
  // now satisfy. Returns whether anything happened.
  Result<bool> poll(uint64_t now_ms);

 private:
  enum class Kind : uint8_t { Free, Authority, Listener, Socket, Connector, Resolver, Manager, Udp };
  struct Object {
    Kind kind = Kind::Free;
    uint32_t ep = 0;             // owner facet
    uint16_t first = 0, last = 0;
    net::NetHandle h{};
    net::Ip4 network = 0;        // Connector scope
    uint8_t prefix = 0;
    bool op_started = false;     // a parked connect, resolve, ping or renewal is under way
    net::NetHandle op{};
    uint64_t deadline = 0;
    bool recv_posted = false;
    bool parked = false;         // recv holds a call waiting for the stack
    bool closing = false;        // owner facet released; waiting for the posted RECV's completion
    uint64_t recv_ud = 0;
    SharedStream stream;         // Socket: data in shared rings (TcpSocket.buffers)
    alignas(16) uint8_t recv[abi::RECV_BUFFER_MAX];
  };

  void post_recv(Object& o);
  // Handles the call in o.recv; false when it must wait (parked).
  bool handle(Object& o, uint64_t now_ms);
  bool handle_socket(Object& o, uint64_t now_ms);
  // TcpSocket.buffers and sync; pumping a socket's shared rings.
  bool handle_socket_shared(Object& o, net::TcpConnection& conn, bool dead, uint64_t now_ms);
  bool pump_stream(Object& o, uint64_t now_ms);
  // net_server_admin.cpp: TcpConnector, Resolver, NetworkManager.
  bool handle_connector(Object& o, uint64_t now_ms);
  bool handle_resolver(Object& o, uint64_t now_ms);
  bool handle_manager(Object& o, uint64_t now_ms);
  // net_server_udp.cpp.
  bool handle_udp(Object& o, uint64_t now_ms);
  Status add(Kind kind, uint32_t ep, Object** out);
  Result<uint32_t> new_object(Kind kind, uint64_t served_interface, uint32_t* client_cap);
  void free_object(Object& o);

  net::Stack& stack_;
  rt::Cap<schema::wire::EndpointFactory> factory_;
  Object objects_[MAX_OBJECTS];
  bool link_up_ = true;
  rt::Cap<schema::wire::FrameAllocator> frames_{};
  bool has_frames_ = false;
};

}  // namespace capos::drivers
