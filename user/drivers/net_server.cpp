#include "user/drivers/net_server.h"

#include "user/drivers/net_reply.h"

#include "lib/capnp/message.h"
#include "lib/core/cstring.h"
#include "lib/wire/schema_enums.h"
#include "schema/capos.capnp.capos.h"
#include "schema/net.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/ring.h"

namespace capos::drivers {

namespace wire = schema::wire;
using namespace net_reply;

Status NetServer::add(Kind kind, uint32_t ep, Object** out) {
  for (Object& o : objects_) {
    if (o.kind != Kind::Free) continue;
    o = Object{};
    o.kind = kind;
    o.ep = ep;
    *out = &o;
    return {};
  }
  return fail(Err::Overloaded);
}

Status NetServer::add_authority(uint32_t ep, uint16_t first, uint16_t last) {
  Object* o;
  CAPOS_TRY_STATUS(add(Kind::Authority, ep, &o));
  o->first = first;
  o->last = last;
  return {};
}

Status NetServer::add_connector(uint32_t ep, net::Ip4 network, uint8_t prefix, uint16_t first, uint16_t last) {
  Object* o;
  CAPOS_TRY_STATUS(add(Kind::Connector, ep, &o));
  o->network = network;
  o->prefix = prefix;
  o->first = first;
  o->last = last;
  return {};
}

Status NetServer::add_resolver(uint32_t ep) {
  Object* o;
  return add(Kind::Resolver, ep, &o);
}

Status NetServer::add_manager(uint32_t ep) {
  Object* o;
  return add(Kind::Manager, ep, &o);
}

void NetServer::post_recv(Object& o) {
  abi::CapSqe r{};
  r.opcode = abi::CAP_OP_RECV;
  r.cap_id = o.ep;
  r.result_addr = reinterpret_cast<uint64_t>(o.recv);
  r.result_len = sizeof(o.recv);
  r.user_data = rt::ring().next_user_data();
  push(r);
  o.recv_ud = r.user_data;
  o.recv_posted = true;
}

Result<uint32_t> NetServer::new_object(Kind kind, uint64_t served_interface, uint32_t* client_cap) {
  Object* slot = nullptr;
  for (Object& o : objects_)
    if (o.kind == Kind::Free) { slot = &o; break; }
  if (!slot) return fail(Err::Overloaded);
  alignas(8) uint8_t pbuf[64], rbuf[256];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  auto p = wire::EndpointFactory::Client::createParams(params);
  if (!p) return fail(Err::Failed);
  p->setServedInterfaceId(served_interface);
  abi::CapTransferRecord rec[2];
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(factory_, 0, params, resp, Span<const abi::CapTransferDesc>(),
                                      Span<abi::CapTransferRecord>(rec), &n));
  if (n != 2) return fail(Err::Corrupt);
  *slot = Object{};
  slot->kind = kind;
  slot->ep = rec[0].cap_id;
  *client_cap = rec[1].cap_id;
  return uint32_t(slot - objects_);
}

void NetServer::free_object(Object& o) {
  o.stream.close();
  rt::release_cap(o.ep);  // revokes the endpoint: the client's later calls fail `disconnected`
  // A posted RECV still completes (with an error); its CQE must be taken
  // before the slot is reused, or it would sit in the runtime's stash.
  if (o.recv_posted) o.closing = true;
  else o.kind = Kind::Free;
}

bool NetServer::handle(Object& o, uint64_t now) {
  const auto& h = header(o.recv);
  capnp::StreamReader<4> msg;
  auto root = params_root(o.recv, msg);
  if (!root) {
    reply_error(o.ep, h, Err::InvalidArgument, "params are not a valid Cap'n Proto message");
    return true;
  }
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  if (o.kind == Kind::Authority && h.interface_id == wire::TcpListenAuthority::kInterfaceId) {
    if (h.method_id == 1) {
      auto r = wire::TcpListenAuthority::RangeResults::initRoot(mb);
      if (!r) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      r->setFirstPort(o.first);
      r->setLastPort(o.last);
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    if (h.method_id != 0) return reply_error(o.ep, h, Err::Unsupported, "no such method"), true;
    auto p = wire::TcpListenAuthority::ListenParams::Reader(*root);
    uint16_t port = p.getPort();
    uint32_t backlog = p.getBacklog();
    if (port < o.first || port > o.last)
      return reply_error(o.ep, h, Err::InvalidArgument, "port outside this authority's range"), true;
    if (backlog == 0 || backlog > wire::MAX_LISTEN_BACKLOG)
      return reply_error(o.ep, h, Err::InvalidArgument, "backlog must be 1 to maxListenBacklog"), true;
    auto l = stack_.tcp_listen(port, backlog);
    if (!l.ok()) return reply_error(o.ep, h, Err::Overloaded, "port in use or no listener slot"), true;
    uint32_t client = 0;
    auto idx = new_object(Kind::Listener, wire::TcpListener::kInterfaceId, &client);
    if (!idx.ok()) {
      stack_.tcp_unlisten(*l);
      return reply_error(o.ep, h, Err::Overloaded, "no object slot"), true;
    }
    objects_[*idx].h = *l;
    auto r = wire::TcpListenAuthority::ListenResults::initRoot(mb);
    if (!r) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
    r->setListener(0);
    abi::CapTransferDesc d{client, abi::XFER_MOVE, {0, 0, 0}};
    reply(o.ep, h, mb.framed(), false, &d);
    return true;
  }
  if (o.kind == Kind::Listener && h.interface_id == wire::TcpListener::kInterfaceId) {
    if (h.method_id == 1) {
      auto r = wire::TcpListener::LocalPortResults::initRoot(mb);
      if (!r) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      auto port = stack_.tcp_listen_port(o.h);
      r->setPort(port.value_or(0));
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    if (h.method_id != 0) return reply_error(o.ep, h, Err::Unsupported, "no such method"), true;
    auto c = stack_.tcp_accept(o.h);
    if (!c.ok()) {
      if (c.error() == Err::NotFound) return false;  // park until a connection is established
      return reply_error(o.ep, h, Err::Disconnected, "listener gone"), true;
    }
    uint32_t client = 0;
    auto idx = new_object(Kind::Socket, wire::TcpSocket::kInterfaceId, &client);
    if (!idx.ok()) {
      stack_.tcp_release(*c);
      return reply_error(o.ep, h, Err::Overloaded, "no object slot"), true;
    }
    objects_[*idx].h = *c;
    net::TcpConnection* conn = *stack_.tcp(*c);
    auto r = wire::TcpListener::AcceptResults::initRoot(mb);
    auto peer = r ? r->initPeer() : fail(Err::OutOfMemory);
    if (!peer) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
    r->setSocket(0);
    peer->setAddress(conn->remote_ip());
    peer->setPort(conn->remote_port());
    abi::CapTransferDesc d{client, abi::XFER_MOVE, {0, 0, 0}};
    reply(o.ep, h, mb.framed(), false, &d);
    return true;
  }
  if (o.kind == Kind::Socket && h.interface_id == wire::TcpSocket::kInterfaceId) return handle_socket(o, now);
  if (o.kind == Kind::Connector && h.interface_id == wire::TcpConnector::kInterfaceId) return handle_connector(o, now);
  if (o.kind == Kind::Resolver && h.interface_id == wire::Resolver::kInterfaceId) return handle_resolver(o, now);
  if (o.kind == Kind::Manager && h.interface_id == wire::NetworkManager::kInterfaceId) return handle_manager(o, now);
  if (o.kind == Kind::Udp && h.interface_id == wire::UdpSocket::kInterfaceId) return handle_udp(o, now);
  reply_error(o.ep, h, Err::Unsupported, "not an interface this object serves");
  return true;
}

bool NetServer::handle_socket(Object& o, uint64_t now) {
  const auto& h = header(o.recv);
  capnp::StreamReader<4> msg;
  auto root = params_root(o.recv, msg);
  if (!root) return reply_error(o.ep, h, Err::InvalidArgument, "params are not a valid Cap'n Proto message"), true;
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  {
    auto c = stack_.tcp(o.h);
    if (!c.ok()) return reply_error(o.ep, h, Err::Disconnected, "connection gone"), true;
    net::TcpConnection* conn = *c;
    bool dead = conn->state() == net::TcpState::Closed && conn->end_reason() != net::TcpEnd::Closed;
    if (h.method_id >= 5 || (o.stream.active() && h.method_id == 2)) return handle_socket_shared(o, *conn, dead, now);
    if (o.stream.active() && h.method_id <= 1)
      return reply_error(o.ep, h, Err::InvalidArgument, "this socket's data moves through its shared buffers"), true;
    switch (h.method_id) {
      case 0: {  // read
        uint32_t max = wire::TcpSocket::ReadParams::Reader(*root).getMaxBytes();
        if (max == 0 || max > wire::MAX_TCP_READ_BYTES)
          return reply_error(o.ep, h, Err::InvalidArgument, "maxBytes must be 1 to maxTcpReadBytes"), true;
        size_t avail = conn->readable();
        if (avail == 0 && !conn->eof()) {
          if (dead || conn->state() == net::TcpState::Closed)
            return reply_error(o.ep, h, Err::Disconnected, "connection reset or timed out"), true;
          return false;
        }
        auto r = wire::TcpSocket::ReadResults::initRoot(mb);
        size_t n = avail < max ? avail : max;
        auto data = r ? r->initData(uint32_t(n)) : fail(Err::OutOfMemory);
        if (!data) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
        size_t got = conn->read(*data);
        r->setEof(got == 0 && conn->eof());
        reply(o.ep, h, mb.framed(), false);
        stack_.flush(now);  // the window may have opened
        return true;
      }
      case 1: {  // write
        auto data = wire::TcpSocket::WriteParams::Reader(*root).getData();
        if (!data || data->size() == 0 || data->size() > wire::MAX_TCP_WRITE_BYTES)
          return reply_error(o.ep, h, Err::InvalidArgument, "data must be 1 to maxTcpWriteBytes bytes"), true;
        if (dead) return reply_error(o.ep, h, Err::Disconnected, "connection reset or timed out"), true;
        if (!conn->writable()) return reply_error(o.ep, h, Err::InvalidArgument, "the sending side is shut down"), true;
        size_t n = conn->write(*data);
        if (n == 0) return false;  // send buffer full: wait (backpressure)
        auto r = wire::TcpSocket::WriteResults::initRoot(mb);
        if (!r) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
        r->setAccepted(uint32_t(n));
        reply(o.ep, h, mb.framed(), false);
        stack_.flush(now);
        return true;
      }
      case 2:  // shutdown
      case 4: {  // reset
        if (h.method_id == 2) conn->shutdown();
        else conn->abort();
        stack_.flush(now);
        if (!wire::TcpSocket::ShutdownResults::initRoot(mb)) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
        reply(o.ep, h, mb.framed(), false);
        return true;
      }
      case 3: {  // info
        auto r = wire::TcpSocket::InfoResults::initRoot(mb);
        auto local = r ? r->initLocal() : fail(Err::OutOfMemory);
        auto peer = r ? r->initPeer() : fail(Err::OutOfMemory);
        if (!local || !peer || !r->setState(net::tcp_state_name(conn->state())))
          return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
        local->setAddress(conn->local_ip());
        local->setPort(conn->local_port());
        peer->setAddress(conn->remote_ip());
        peer->setPort(conn->remote_port());
        r->setUnacked(conn->unacked());
        r->setSendWindow(conn->send_window());
        reply(o.ep, h, mb.framed(), false);
        return true;
      }
      default: return reply_error(o.ep, h, Err::Unsupported, "no such method"), true;
    }
  }
}

Result<bool> NetServer::poll(uint64_t now) {
  bool progress = false;
  for (Object& o : objects_) {
    if (o.kind == Kind::Free) continue;
    if (o.closing) {
      abi::CapCqe c;
      if (rt::ring().try_take(o.recv_ud, &c)) o = Object{};
      continue;
    }
    if (o.kind == Kind::Socket && o.stream.active()) progress |= pump_stream(o, now);
    if (o.parked) {
      if (handle(o, now)) {
        o.parked = false;
        progress = true;
      }
      continue;
    }
    if (o.kind == Kind::Socket) {
      // A connection that is over (closed, or closed by us and waiting out
      // TIME-WAIT) and fully read needs no object any more. netd is not told
      // when a client drops its cap, so this is what frees the object and
      // the stack's slot.
      auto c = stack_.tcp(o.h);
      net::TcpState st = c.ok() ? (*c)->state() : net::TcpState::Closed;
      if (!c.ok() || ((st == net::TcpState::Closed || st == net::TcpState::TimeWait) && (*c)->readable() == 0)) {
        // With shared buffers the pump wrote the end after the last byte
        // on an orderly close; anything else was a reset or a timeout.
        o.stream.mark_reset();
        if (c.ok()) stack_.tcp_release(o.h);
        free_object(o);
        progress = true;
        continue;
      }
    }
    if (!o.recv_posted) post_recv(o);
    abi::CapCqe c;
    if (!rt::ring().try_take(o.recv_ud, &c)) continue;
    o.recv_posted = false;
    progress = true;
    if (c.result < 0) {
      if (c.result == abi::CAP_ERR_INVALID_PARAMS_BUFFER || c.result == abi::CAP_ERR_QUOTA_EXCEEDED ||
          c.result == abi::CAP_ERR_OVERLOADED || c.result == abi::CAP_ERR_INVALID_TRANSFER)
        continue;
      if (o.kind == Kind::Authority) return fail(Err::Disconnected);
      free_object(o);
      continue;
    }
    const auto& h = header(o.recv);
    size_t records = size_t{h.xfer_count} * sizeof(abi::CapTransferRecord);
    if (static_cast<size_t>(c.result) < sizeof(h) ||
        static_cast<size_t>(c.result) != sizeof(h) + h.params_len + records || h.xfer_count > abi::XFER_MAX) {
      if (static_cast<size_t>(c.result) >= sizeof(h)) reply_error(o.ep, h, Err::Corrupt, "bad delivery framing");
      continue;
    }
    const auto* caps = reinterpret_cast<const abi::CapTransferRecord*>(o.recv + sizeof(h) + h.params_len);
    for (uint32_t i = 0; i < h.xfer_count; ++i) rt::release_cap(caps[i].cap_id);  // no method takes caps
    if (!handle(o, now)) o.parked = true;
  }
  return progress;
}

}  // namespace capos::drivers
