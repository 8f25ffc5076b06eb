// The socket side of Stack: listeners, connections, UDP ports, ping and
// DNS queries, each addressed by a generation-checked handle.
#include "lib/core/cstring.h"
#include "lib/crypto/siphash.h"
#include "lib/net/stack.h"

namespace capos::net {

namespace {
constexpr uint64_t DNS_RETRY_MS = 1000;
}

uint32_t Stack::make_iss(Ip4 local, uint16_t lport, Ip4 remote, uint16_t rport, uint64_t now_ms) {
  // RFC 6528: a keyed hash of the 4-tuple plus a clock (4 us ticks).
  uint64_t in[2] = {(uint64_t{local} << 32) | remote, (uint64_t{lport} << 16) | rport};
  SipKey key{secret_, ~secret_};
  return uint32_t(siphash24(key, in, sizeof(in))) + uint32_t(now_ms * 250);
}

uint16_t Stack::ephemeral_port() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    uint16_t port = uint16_t(49152 + rng_ % 16384);
    bool used = false;
    for (const TcpSlot& s : tcp_)
      if (s.used && s.conn.local_port() == port) used = true;
    for (const UdpPort& u : udp_)
      if (u.used && u.port == port) used = true;
    if (!used) return port;
  }
  return 0;
}

Result<size_t> Stack::alloc_tcp_slot(uint64_t now_ms) {
  free_finished_slots();
  for (size_t i = 0; i < MAX_TCP; ++i) {
    if (!tcp_[i].used) {
      TcpSlot& s = tcp_[i];
      s.conn.~TcpConnection();
      new (&s.conn) TcpConnection();
      s.used = true;
      s.app_holds = false;
      s.listener = -1;
      return i;
    }
  }
  // Table full: recycle the TIME_WAIT connection closest to its end.
  size_t best = MAX_TCP;
  for (size_t i = 0; i < MAX_TCP; ++i) {
    const TcpSlot& s = tcp_[i];
    if (s.conn.state() == TcpState::TimeWait && !s.app_holds &&
        (best == MAX_TCP || s.conn.time_wait_deadline() < tcp_[best].conn.time_wait_deadline()))
      best = i;
  }
  if (best == MAX_TCP) return fail(Err::Overloaded);
  TcpSlot& s = tcp_[best];
  stats_.retransmits += s.conn.retransmits();
  ++s.gen;
  s.conn.~TcpConnection();
  new (&s.conn) TcpConnection();
  s.listener = -1;
  s.app_holds = false;
  return best;
}

Result<NetHandle> Stack::tcp_listen(uint16_t port, uint32_t backlog) {
  if (port == 0 || backlog == 0) return fail(Err::InvalidArgument);
  for (const Listener& l : listeners_)
    if (l.used && l.port == port) return fail(Err::Busy);
  for (size_t i = 0; i < MAX_LISTENERS; ++i) {
    Listener& l = listeners_[i];
    if (l.used) continue;
    l.used = true;
    l.port = port;
    l.backlog = backlog;
    return NetHandle{uint16_t(i), l.gen};
  }
  return fail(Err::Overloaded);
}

void Stack::tcp_unlisten(NetHandle h) {
  if (h.slot >= MAX_LISTENERS || !listeners_[h.slot].used || listeners_[h.slot].gen != h.gen) return;
  listeners_[h.slot].used = false;
  ++listeners_[h.slot].gen;
  for (TcpSlot& s : tcp_) {
    if (s.used && s.listener == int8_t(h.slot)) {
      s.listener = -1;
      s.conn.abort();  // never accepted: reset
    }
  }
}

Result<uint16_t> Stack::tcp_listen_port(NetHandle h) const {
  if (h.slot >= MAX_LISTENERS || !listeners_[h.slot].used || listeners_[h.slot].gen != h.gen) return fail(Err::Stale);
  return listeners_[h.slot].port;
}

Result<NetHandle> Stack::tcp_accept(NetHandle h) {
  if (h.slot >= MAX_LISTENERS || !listeners_[h.slot].used || listeners_[h.slot].gen != h.gen)
    return fail(Err::Stale);
  for (size_t i = 0; i < MAX_TCP; ++i) {
    TcpSlot& s = tcp_[i];
    if (!s.used || s.listener != int8_t(h.slot)) continue;
    TcpState st = s.conn.state();
    if (st == TcpState::SynReceived || st == TcpState::Closed) continue;
    s.listener = -1;
    s.app_holds = true;
    return NetHandle{uint16_t(i), s.gen};
  }
  return fail(Err::NotFound);
}

Result<NetHandle> Stack::tcp_connect(Ip4 remote, uint16_t port, uint64_t now_ms) {
  if (addr_ == 0) return fail(Err::Disconnected);
  if (port == 0 || remote == 0) return fail(Err::InvalidArgument);
  uint16_t lport = ephemeral_port();
  if (lport == 0) return fail(Err::Overloaded);
  size_t i = CAPOS_TRY(alloc_tcp_slot(now_ms));
  TcpSlot& s = tcp_[i];
  s.app_holds = true;
  s.conn.open_active(addr_, lport, remote, port, make_iss(addr_, lport, remote, port, now_ms), tuning_, now_ms);
  return NetHandle{uint16_t(i), s.gen};
}

Result<TcpConnection*> Stack::tcp(NetHandle h) {
  if (h.slot >= MAX_TCP) return fail(Err::Stale);
  TcpSlot& s = tcp_[h.slot];
  if (!s.used || !s.app_holds || s.gen != h.gen) return fail(Err::Stale);
  return &s.conn;
}

void Stack::tcp_release(NetHandle h) {
  auto c = tcp(h);
  if (!c.ok()) return;
  (*c)->release();
  tcp_[h.slot].app_holds = false;
}

size_t Stack::tcp_open_count() const {
  size_t n = 0;
  for (const TcpSlot& s : tcp_)
    if (s.used && s.conn.state() != TcpState::Closed) ++n;
  return n;
}

Result<NetHandle> Stack::udp_bind(uint16_t port) {
  if (port == 0) port = ephemeral_port();
  if (port == 0) return fail(Err::Overloaded);
  for (const UdpPort& u : udp_)
    if (u.used && u.port == port) return fail(Err::Busy);
  for (size_t i = 0; i < MAX_UDP; ++i) {
    UdpPort& u = udp_[i];
    if (u.used) continue;
    u.used = true;
    u.port = port;
    u.head = u.count = 0;
    return NetHandle{uint16_t(i), u.gen};
  }
  return fail(Err::Overloaded);
}

void Stack::udp_unbind(NetHandle h) {
  if (h.slot >= MAX_UDP || !udp_[h.slot].used || udp_[h.slot].gen != h.gen) return;
  udp_[h.slot].used = false;
  ++udp_[h.slot].gen;
}

Result<uint16_t> Stack::udp_port(NetHandle h) {
  if (h.slot >= MAX_UDP || !udp_[h.slot].used || udp_[h.slot].gen != h.gen) return fail(Err::Stale);
  return udp_[h.slot].port;
}

Status Stack::udp_send(NetHandle h, Ip4 dst, uint16_t dst_port, Bytes data, uint64_t now_ms) {
  uint16_t port = CAPOS_TRY(udp_port(h));
  if (data.size() > UDP_MAX_PAYLOAD || dst_port == 0) return fail(Err::InvalidArgument);
  if (addr_ == 0) return fail(Err::Disconnected);
  send_udp_raw(addr_, dst, port, dst_port, data, now_ms);
  return ok_status();
}

Result<UdpReceived> Stack::udp_receive(NetHandle h, MutBytes out) {
  CAPOS_TRY(udp_port(h));
  UdpPort& u = udp_[h.slot];
  if (u.count == 0) return fail(Err::NotFound);
  Datagram& g = u.queue[u.head];
  size_t n = min<size_t>(g.len, out.size());
  memcpy(out.data(), g.data, n);
  UdpReceived r{g.src, g.src_port, n, n < g.len};
  u.head = (u.head + 1) % UDP_QUEUE;
  --u.count;
  return r;
}

Status Stack::ping_start(Ip4 dst, uint16_t sequence, uint64_t now_ms) {
  if (addr_ == 0) return fail(Err::Disconnected);
  ping_ = Ping{};
  ping_.active = true;
  ping_.dst = dst;
  ping_.ident = PING_IDENT;
  ping_.seq = sequence;
  ping_.sent = now_ms;
  uint8_t* body = scratch_ + ETH_HEADER + IPV4_HEADER + ICMP_HEADER;
  for (size_t i = 0; i < 32; ++i) body[i] = uint8_t('a' + i % 23);
  write_icmp(MutBytes(scratch_ + ETH_HEADER + IPV4_HEADER, ICMP_HEADER + 32), ICMP_ECHO_REQUEST, 0, PING_IDENT,
             sequence, 32);
  send_ip(addr_, dst, IPPROTO_ICMP, ICMP_HEADER + 32, now_ms);
  return ok_status();
}

Result<PingReply> Stack::ping_result() const {
  if (!ping_.active || !ping_.answered) return fail(Err::NotFound);
  return PingReply{ping_.rtt, ping_.ttl};
}

void Stack::dns_send(DnsQuery& q, uint64_t now_ms) {
  ++q.tries;
  q.deadline = now_ms + DNS_RETRY_MS;
  auto port = udp_port(dns_port_);
  if (!port.ok() || dns_ == 0) return;
  send_udp_raw(addr_, dns_, *port, DNS_PORT, Bytes(q.query, q.qlen), now_ms);
}

Result<NetHandle> Stack::dns_start(const char* name, size_t len, uint64_t now_ms) {
  if (!dns_bound_) {
    dns_port_ = CAPOS_TRY(udp_bind(0));
    dns_bound_ = true;
  }
  for (size_t i = 0; i < MAX_DNS_QUERIES; ++i) {
    DnsQuery& q = dnsq_[i];
    if (q.used) continue;
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 7;
    rng_ ^= rng_ << 17;
    q.id = uint16_t(rng_);
    q.qlen = uint16_t(CAPOS_TRY(write_dns_query(MutBytes(q.query, sizeof(q.query)), q.id, name, len)));
    q.used = true;
    q.done = false;
    q.tries = 0;
    q.result = fail(Err::Busy);
    if (addr_ == 0 || dns_ == 0) {
      q.done = true;
      q.result = fail(Err::TimedOut);
    } else {
      dns_send(q, now_ms);
    }
    return NetHandle{uint16_t(i), q.gen};
  }
  return fail(Err::Overloaded);
}

void Stack::handle_dns(Bytes payload, uint64_t now_ms) {
  auto a = parse_dns_response(payload);
  if (!a.ok()) {
    ++stats_.malformed;
    return;
  }
  for (DnsQuery& q : dnsq_) {
    if (!q.used || q.done || q.id != a->id) continue;
    q.done = true;
    if (a->rcode != 0 || a->count == 0) q.result = fail(Err::NotFound);
    else q.result = *a;
    return;
  }
}

Result<DnsAnswer> Stack::dns_result(NetHandle h) {
  if (h.slot >= MAX_DNS_QUERIES || !dnsq_[h.slot].used || dnsq_[h.slot].gen != h.gen) return fail(Err::Stale);
  return dnsq_[h.slot].result;
}

void Stack::dns_release(NetHandle h) {
  if (h.slot >= MAX_DNS_QUERIES || !dnsq_[h.slot].used || dnsq_[h.slot].gen != h.gen) return;
  dnsq_[h.slot].used = false;
  ++dnsq_[h.slot].gen;
}

}  // namespace capos::net
