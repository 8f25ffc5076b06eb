// netd's UdpSocket: one port bound at start from a manifest grant, which
// sends only to and receives only from the destinations in its scope
// (datagrams from elsewhere are dropped unseen). receive parks until a
// datagram from the scope is queued.
#include "schema/net.capnp.capos.h"
#include "user/drivers/net_reply.h"
#include "user/drivers/net_server.h"

namespace capos::drivers {

namespace wire = schema::wire;
using namespace net_reply;

Status NetServer::add_udp(uint32_t ep, uint16_t port, net::Ip4 network, uint8_t prefix, uint16_t first,
                          uint16_t last) {
  net::NetHandle h = CAPOS_TRY(stack_.udp_bind(port));
  Object* o;
  if (Status st = add(Kind::Udp, ep, &o); !st) {
    stack_.udp_unbind(h);
    return st;
  }
  o->h = h;
  o->network = network;
  o->prefix = prefix;
  o->first = first;
  o->last = last;
  return {};
}

bool NetServer::handle_udp(Object& o, uint64_t now) {
  const auto& h = header(o.recv);
  capnp::StreamReader<4> msg;
  auto root = params_root(o.recv, msg);
  if (!root) return reply_error(o.ep, h, Err::InvalidArgument, "params are not a valid Cap'n Proto message"), true;
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  auto in_scope = [&o](net::Ip4 a, uint16_t port) {
    return net::in_prefix(a, o.network, o.prefix) && port >= o.first && port <= o.last;
  };
  switch (h.method_id) {
    case 0: {  // send
      auto p = wire::UdpSocket::SendParams::Reader(*root);
      auto remote = p.getRemote();
      auto data = p.getData();
      if (!remote || !data) return reply_error(o.ep, h, Err::InvalidArgument, "remote and data are required"), true;
      if (data->size() > wire::MAX_UDP_PAYLOAD_BYTES)
        return reply_error(o.ep, h, Err::InvalidArgument, "data larger than maxUdpPayloadBytes"), true;
      if (!in_scope(remote->getAddress(), remote->getPort()))
        return reply_error(o.ep, h, Err::InvalidArgument, "destination outside this socket's scope"), true;
      Status st = stack_.udp_send(o.h, remote->getAddress(), remote->getPort(), *data, now);
      if (!st) return reply_error(o.ep, h, st.error() == Err::Disconnected ? Err::Overloaded : st.error(),
                                  "no address yet or bad destination"), true;
      stack_.flush(now);
      if (!wire::UdpSocket::SendResults::initRoot(mb)) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    case 1: {  // receive
      uint32_t max = wire::UdpSocket::ReceiveParams::Reader(*root).getMaxBytes();
      if (max == 0 || max > wire::MAX_UDP_PAYLOAD_BYTES)
        return reply_error(o.ep, h, Err::InvalidArgument, "maxBytes must be 1 to maxUdpPayloadBytes"), true;
      static uint8_t buf[net::UDP_MAX_PAYLOAD];
      for (;;) {
        auto d = stack_.udp_receive(o.h, MutBytes(buf, sizeof(buf)));
        if (!d.ok()) return false;  // nothing queued: wait
        if (!in_scope(d->src, d->src_port)) continue;
        auto r = wire::UdpSocket::ReceiveResults::initRoot(mb);
        auto remote = r ? r->initRemote() : fail(Err::OutOfMemory);
        size_t n = d->length < max ? d->length : max;
        if (!remote || !r->setData(Bytes(buf, n))) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
        remote->setAddress(d->src);
        remote->setPort(d->src_port);
        r->setTruncated(d->truncated || n < d->length);
        reply(o.ep, h, mb.framed(), false);
        return true;
      }
    }
    case 2: {  // localPort
      auto r = wire::UdpSocket::LocalPortResults::initRoot(mb);
      if (!r) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      r->setPort(stack_.udp_port(o.h).value_or(0));
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    default: return reply_error(o.ep, h, Err::Unsupported, "no such method"), true;
  }
}

}  // namespace capos::drivers
