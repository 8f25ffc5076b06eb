// netd's TcpConnector, Resolver and NetworkManager handlers. Each parks
// its call while the stack works (handshake, DNS query, echo request,
// DHCP exchange) and answers when the outcome or the deadline comes.
#include "lib/net/dns.h"
#include "schema/net.capnp.capos.h"
#include "user/drivers/net_reply.h"
#include "user/drivers/net_server.h"

namespace capos::drivers {

namespace wire = schema::wire;
using namespace net_reply;

namespace {
constexpr uint64_t RENEW_TIMEOUT_MS = 20000;
}

bool NetServer::handle_connector(Object& o, uint64_t now) {
  const auto& h = header(o.recv);
  capnp::StreamReader<4> msg;
  auto root = params_root(o.recv, msg);
  if (!root) return reply_error(o.ep, h, Err::InvalidArgument, "params are not a valid Cap'n Proto message"), true;
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  if (h.method_id == 1) {  // scope
    auto r = wire::TcpConnector::ScopeResults::initRoot(mb);
    auto list = r ? r->initDestinations(1) : fail(Err::OutOfMemory);
    if (!list) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
    auto d = (*list)[0];
    d.setNetwork(o.network);
    d.setPrefixLength(o.prefix);
    d.setFirstPort(o.first);
    d.setLastPort(o.last);
    reply(o.ep, h, mb.framed(), false);
    return true;
  }
  if (h.method_id != 0) return reply_error(o.ep, h, Err::Unsupported, "no such method"), true;
  auto p = wire::TcpConnector::ConnectParams::Reader(*root);
  auto remote = p.getRemote();
  net::Ip4 addr = remote ? remote->getAddress() : 0;
  uint16_t port = remote ? remote->getPort() : 0;
  auto r = wire::TcpConnector::ConnectResult::initRoot(mb);
  if (!r) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
  if (!o.op_started) {
    uint32_t timeout = p.getTimeoutMs();
    if (timeout == 0 || timeout > 60000) return reply_error(o.ep, h, Err::InvalidArgument, "timeoutMs must be 1 to 60000"), true;
    if (!net::in_prefix(addr, o.network, o.prefix) || port < o.first || port > o.last || port == 0) {
      r->setOutOfScope();
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    auto c = stack_.tcp_connect(addr, port, now);
    if (!c.ok()) {
      if (c.error() == Err::Disconnected) {  // no address yet: as good as no answer
        r->setTimedOut();
        reply(o.ep, h, mb.framed(), false);
        return true;
      }
      return reply_error(o.ep, h, Err::Overloaded, "no free connection slot or port"), true;
    }
    stack_.flush(now);
    o.op = *c;
    o.op_started = true;
    o.deadline = now + timeout;
    return false;
  }
  net::TcpConnection* conn = *stack_.tcp(o.op);
  if (conn->state() == net::TcpState::SynSent && now < o.deadline) return false;
  o.op_started = false;
  if (conn->state() == net::TcpState::SynSent || conn->state() == net::TcpState::Closed ||
      conn->state() == net::TcpState::SynReceived) {
    bool refused = conn->end_reason() == net::TcpEnd::Refused;
    conn->abort();
    stack_.tcp_release(o.op);
    if (refused) r->setRefused();
    else r->setTimedOut();
    reply(o.ep, h, mb.framed(), false);
    return true;
  }
  uint32_t client = 0;
  auto idx = new_object(Kind::Socket, wire::TcpSocket::kInterfaceId, &client);
  if (!idx.ok()) {
    conn->abort();
    stack_.tcp_release(o.op);
    return reply_error(o.ep, h, Err::Overloaded, "no object slot"), true;
  }
  objects_[*idx].h = o.op;
  r->setConnected(0);
  abi::CapTransferDesc d{client, abi::XFER_MOVE, {0, 0, 0}};
  reply(o.ep, h, mb.framed(), false, &d);
  return true;
}

bool NetServer::handle_resolver(Object& o, uint64_t now) {
  const auto& h = header(o.recv);
  capnp::StreamReader<4> msg;
  auto root = params_root(o.recv, msg);
  if (!root) return reply_error(o.ep, h, Err::InvalidArgument, "params are not a valid Cap'n Proto message"), true;
  if (h.method_id != 0) return reply_error(o.ep, h, Err::Unsupported, "no such method"), true;
  auto name = wire::Resolver::ResolveParams::Reader(*root).getName();
  if (!name || name->len == 0 || name->len > wire::MAX_HOSTNAME_BYTES)
    return reply_error(o.ep, h, Err::InvalidArgument, "name must be 1 to maxHostnameBytes bytes"), true;
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  auto r = wire::Resolver::ResolveResult::initRoot(mb);
  if (!r) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
  net::DnsAnswer answer;
  if (auto lit = net::parse_ip4_literal(name->ptr, name->len); lit.ok()) {
    answer.addresses[0] = *lit;
    answer.count = 1;
  } else {
    if (!o.op_started) {
      auto q = stack_.dns_start(name->ptr, name->len, now);
      if (!q.ok()) {
        if (q.error() == Err::InvalidArgument) return reply_error(o.ep, h, Err::InvalidArgument, "malformed name"), true;
        return reply_error(o.ep, h, Err::Overloaded, "too many queries"), true;
      }
      stack_.flush(now);
      o.op = *q;
      o.op_started = true;
      return false;
    }
    auto a = stack_.dns_result(o.op);
    if (!a.ok() && a.error() == Err::Busy) return false;
    stack_.dns_release(o.op);
    o.op_started = false;
    if (!a.ok()) {
      if (a.error() == Err::NotFound) r->setNotFound();
      else r->setTimedOut();
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    answer = *a;
  }
  auto found = r->initFound();
  auto list = found.initAddresses(uint32_t(answer.count));
  if (!list) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
  for (size_t i = 0; i < answer.count; ++i) list->set(uint32_t(i), answer.addresses[i]);
  found.setTtlSeconds(answer.ttl);
  reply(o.ep, h, mb.framed(), false);
  return true;
}

bool NetServer::handle_manager(Object& o, uint64_t now) {
  const auto& h = header(o.recv);
  capnp::StreamReader<4> msg;
  auto root = params_root(o.recv, msg);
  if (!root) return reply_error(o.ep, h, Err::InvalidArgument, "params are not a valid Cap'n Proto message"), true;
  capnp::FixedMessageBuilder mb(MutBytes(g_reply, sizeof(g_reply)));
  switch (h.method_id) {
    case 0: {  // interfaces
      auto r = wire::NetworkManager::InterfacesResults::initRoot(mb);
      auto list = r ? r->initInterfaces(1) : fail(Err::OutOfMemory);
      if (!list) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      auto i = (*list)[0];
      if (!i.setName("eth0") || !i.setMac(Bytes(stack_.mac().b, 6)))
        return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      i.setAddress(stack_.address());
      i.setPrefixLength(stack_.prefix());
      i.setGateway(stack_.gateway());
      i.setDnsServer(stack_.dns_server());
      i.setLeaseSecondsLeft(stack_.dhcp().seconds_left(now));
      i.setMtu(1500);
      i.setLinkUp(link_up_);
      bool v6 = i.setIpv6LinkLocal(Bytes(stack_.link_local().b, 16)).ok();
      if (auto g = stack_.global_address(); g.ok() && v6) {
        auto router = stack_.router6();
        v6 = i.setIpv6Global(Bytes(g->b, 16)).ok() && router.ok() && i.setIpv6Router(Bytes(router->b, 16)).ok();
      }
      if (!v6) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    case 1: {  // stats
      auto r = wire::NetworkManager::StatsResults::initRoot(mb);
      auto st = r ? r->initStats() : fail(Err::OutOfMemory);
      if (!st) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      net::StackStats s = stack_.stats();
      st->setFramesIn(s.frames_in);
      st->setFramesOut(s.frames_out);
      st->setBytesIn(s.bytes_in);
      st->setBytesOut(s.bytes_out);
      st->setMalformed(s.malformed);
      st->setNoListener(s.no_listener);
      st->setSynDropped(s.syn_dropped);
      st->setRetransmits(s.retransmits);
      st->setTcpOpen(uint32_t(stack_.tcp_open_count()));
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    case 2:    // ping
    case 4: {  // ping6
      auto p = wire::NetworkManager::PingParams::Reader(*root);
      auto p6 = wire::NetworkManager::Ping6Params::Reader(*root);
      auto r = wire::NetworkManager::PingResult::initRoot(mb);
      if (!r) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      if (!o.op_started) {
        bool v6 = h.method_id == 4;
        uint32_t timeout = v6 ? p6.getTimeoutMs() : p.getTimeoutMs();
        if (timeout == 0 || timeout > 10000) return reply_error(o.ep, h, Err::InvalidArgument, "timeoutMs must be 1 to 10000"), true;
        Status sent = ok_status();
        if (v6) {
          auto a = p6.getAddress();
          if (!a || a->size() != 16) return reply_error(o.ep, h, Err::InvalidArgument, "address must be 16 bytes"), true;
          net::Ip6 dst;
          memcpy(dst.b, a->data(), 16);
          if (dst.is_multicast() || dst.is_unspecified())
            return reply_error(o.ep, h, Err::InvalidArgument, "address must be unicast"), true;
          sent = stack_.ping6_start(dst, p6.getSequence(), now);
        } else {
          sent = stack_.ping_start(p.getAddress(), p.getSequence(), now);
        }
        if (!sent) {
          r->setUnreachable();
          reply(o.ep, h, mb.framed(), false);
          return true;
        }
        stack_.flush(now);
        o.op_started = true;
        o.deadline = now + timeout;
        return false;
      }
      auto reply_r = stack_.ping_result();
      if (!reply_r.ok() && now < o.deadline) return false;
      o.op_started = false;
      if (!reply_r.ok()) {
        r->setTimedOut();
      } else {
        auto rep = r->initReply();
        rep.setRoundTripUs(reply_r->rtt_ms * 1000);
        rep.setTtl(reply_r->ttl);
      }
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    case 3: {  // renewLease
      if (!o.op_started) {
        stack_.start_dhcp(now);
        o.op_started = true;
        o.deadline = now + RENEW_TIMEOUT_MS;
        return false;
      }
      if (!stack_.dhcp().bound()) {
        if (now < o.deadline) return false;
        o.op_started = false;
        return reply_error(o.ep, h, Err::Failed, "no DHCP server answered"), true;
      }
      o.op_started = false;
      auto r = wire::NetworkManager::RenewLeaseResults::initRoot(mb);
      if (!r) return reply_error(o.ep, h, Err::Failed, "reply too large"), true;
      r->setAddress(stack_.address());
      reply(o.ep, h, mb.framed(), false);
      return true;
    }
    default: return reply_error(o.ep, h, Err::Unsupported, "no such method"), true;
  }
}

}  // namespace capos::drivers
