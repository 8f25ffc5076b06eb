#include "lib/net/stack.h"

#include "lib/core/cstring.h"
#include "lib/crypto/siphash.h"

namespace capos::net {

namespace {
constexpr size_t L4 = ETH_HEADER + IPV4_HEADER;  // where a transport header starts in a frame
constexpr uint64_t ARP_TTL_MS = 60000;
constexpr uint64_t ARP_RETRY_MS = 1000;
constexpr uint64_t ARP_GIVE_UP_MS = 3000;
}  // namespace

Stack::Stack(const Mac& mac, const TcpTuning& tuning, uint64_t secret)
    : mac_(mac), ll6_(link_local_from_mac(mac)), tuning_(tuning), secret_(secret), rng_(secret | 1) {}

void Stack::configure(Ip4 address, uint8_t prefix, Ip4 gateway, Ip4 dns) {
  addr_ = address;
  prefix_ = prefix;
  gateway_ = gateway;
  dns_ = dns;
}

void Stack::set_mac(const Mac& mac) {
  mac_ = mac;
  ll6_ = link_local_from_mac(mac);
}

void Stack::start_dhcp(uint64_t now_ms) {
  use_dhcp_ = true;
  dhcp_.start(mac_, uint32_t(secret_ >> 16), now_ms);
  flush(now_ms);
}

StackStats Stack::stats() const {
  StackStats s = stats_;
  for (const TcpSlot& t : tcp_)
    if (t.used) s.retransmits += t.conn.retransmits();
  return s;
}

// ---- frames out

void Stack::enqueue(const uint8_t* frame, size_t len) {
  if (tx_count_ == TX_QUEUE) {
    ++stats_.tx_dropped;
    return;
  }
  Frame& f = txq_[(tx_head_ + tx_count_) % TX_QUEUE];
  memcpy(f.data, frame, len);
  f.len = uint16_t(len);
  ++tx_count_;
  ++stats_.frames_out;
  stats_.bytes_out += len;
}

Result<size_t> Stack::pop_frame(MutBytes out) {
  if (tx_count_ == 0) return fail(Err::NotFound);
  if (out.size() < ETH_MAX_FRAME) return fail(Err::OutOfRange);
  Frame& f = txq_[tx_head_];
  memcpy(out.data(), f.data, f.len);
  tx_head_ = (tx_head_ + 1) % TX_QUEUE;
  --tx_count_;
  return size_t{f.len};
}

void Stack::arp_request(Ip4 ip) {
  uint8_t f[ETH_HEADER + ARP_PACKET];
  write_ethernet(MutBytes(f, sizeof(f)), MAC_BROADCAST, mac_, ETHERTYPE_ARP);
  ArpPacket a{ARP_REQUEST, mac_, addr_, Mac{}, ip};
  write_arp(MutBytes(f + ETH_HEADER, ARP_PACKET), a);
  enqueue(f, sizeof(f));
}

void Stack::send_ip(Ip4 src, Ip4 dst, uint8_t proto, size_t len, uint64_t now_ms) {
  write_ipv4(MutBytes(scratch_ + ETH_HEADER, IPV4_HEADER), src, dst, proto, uint16_t(len), ip_id_++, 64);
  size_t total = L4 + len;
  uint32_t host_bits = prefix_ > 0 && prefix_ < 31 ? 0xFFFFFFFFu >> prefix_ : 0;
  bool local_bcast = host_bits && (dst & host_bits) == host_bits && in_prefix(dst, addr_, prefix_);
  if (dst == IP4_BROADCAST || local_bcast) {
    write_ethernet(MutBytes(scratch_, ETH_HEADER), MAC_BROADCAST, mac_, ETHERTYPE_IPV4);
    enqueue(scratch_, total);
    return;
  }
  Ip4 hop = in_prefix(dst, addr_, prefix_) || gateway_ == 0 ? dst : gateway_;
  for (ArpEntry& e : arp_) {
    if (e.valid && e.ip == hop && now_ms - e.stamp < ARP_TTL_MS) {
      write_ethernet(MutBytes(scratch_, ETH_HEADER), e.mac, mac_, ETHERTYPE_IPV4);
      enqueue(scratch_, total);
      return;
    }
  }
  // Park the frame until the next hop answers ARP (the oldest is dropped if all are taken).
  Waiting* w = &waiting_[0];
  bool asked = false;
  for (Waiting& c : waiting_) {
    if (c.used && c.next_hop == hop) asked = true;
    if (!c.used) { w = &c; break; }
    if (c.since < w->since) w = &c;
  }
  if (w->used) ++stats_.tx_dropped;
  w->used = true;
  w->next_hop = hop;
  w->since = now_ms;
  w->last_request = now_ms;
  w->len = uint16_t(total);
  memcpy(w->frame, scratch_, total);
  if (!asked) arp_request(hop);
}

void Stack::send_udp_raw(Ip4 src, Ip4 dst, uint16_t sport, uint16_t dport, Bytes data, uint64_t now_ms) {
  memcpy(scratch_ + L4 + UDP_HEADER, data.data(), data.size());
  write_udp(MutBytes(scratch_ + L4, UDP_HEADER + data.size()), src, dst, sport, dport, data.size());
  send_ip(src, dst, IPPROTO_UDP, UDP_HEADER + data.size(), now_ms);
}

void Stack::flush(uint64_t now_ms) {
  if (use_dhcp_) {
    auto d = dhcp_.poll(now_ms, MutBytes(payload_, sizeof(payload_)));
    if (d.ok()) {
      Ip4 dst = d->unicast_to ? d->unicast_to : IP4_BROADCAST;
      send_udp_raw(d->source, dst, DHCP_CLIENT_PORT, DHCP_SERVER_PORT, Bytes(payload_, d->length), now_ms);
    }
    if (!dhcp_.bound() && addr_ != 0) configure(0, 0, 0, 0);
  }
  for (TcpSlot& s : tcp_) {
    if (!s.used) continue;
    for (int guard = 0; guard < 64; ++guard) {
      auto out = s.conn.next_segment(now_ms, MutBytes(payload_, sizeof(payload_)));
      if (!out.ok()) break;
      size_t hl = tcp_header_len(out->h);
      memcpy(scratch_ + L4 + hl, payload_, out->payload_len);
      write_tcp(MutBytes(scratch_ + L4, hl + out->payload_len), out->h, s.conn.local_ip(), s.conn.remote_ip(),
                out->payload_len);
      send_ip(s.conn.local_ip(), s.conn.remote_ip(), IPPROTO_TCP, hl + out->payload_len, now_ms);
    }
  }
  free_finished_slots();
}

void Stack::free_finished_slots() {
  for (TcpSlot& s : tcp_) {
    if (s.used && !s.app_holds && s.conn.state() == TcpState::Closed) {
      // Accepted or released connections go when closed; unaccepted ones when their handshake failed.
      stats_.retransmits += s.conn.retransmits();
      s.used = false;
      s.listener = -1;
      ++s.gen;
    }
  }
}

// ---- frames in

void Stack::receive_frame(Bytes frame, uint64_t now_ms) {
  ++stats_.frames_in;
  stats_.bytes_in += frame.size();
  auto eth = parse_ethernet(frame);
  if (!eth.ok()) {
    ++stats_.malformed;
  } else if (eth->dst == mac_ || eth->dst.is_broadcast()) {
    if (eth->type == ETHERTYPE_ARP) handle_arp(eth->payload, now_ms);
    else if (eth->type == ETHERTYPE_IPV4) handle_ipv4(eth->payload, now_ms);
    else if (eth->type == ETHERTYPE_IPV6) handle_ipv6(eth->src, eth->payload, now_ms);
  } else if (eth->type == ETHERTYPE_IPV6 &&
             (eth->dst == multicast_mac(solicited_node(ll6_)) || eth->dst == multicast_mac(ALL_NODES))) {
    handle_ipv6(eth->src, eth->payload, now_ms);
  }
  flush(now_ms);
}

void Stack::arp_learn(Ip4 ip, const Mac& mac, uint64_t now_ms) {
  if (ip == 0 || mac.is_multicast()) return;
  ArpEntry* slot = &arp_[0];
  for (ArpEntry& e : arp_) {
    if (e.valid && e.ip == ip) { slot = &e; break; }
    if (!e.valid) { slot = &e; continue; }
    if (slot->valid && e.stamp < slot->stamp) slot = &e;
  }
  slot->ip = ip;
  slot->mac = mac;
  slot->stamp = now_ms;
  slot->valid = true;
  for (Waiting& w : waiting_) {
    if (w.used && w.next_hop == ip) {
      write_ethernet(MutBytes(w.frame, ETH_HEADER), mac, mac_, ETHERTYPE_IPV4);
      enqueue(w.frame, w.len);
      w.used = false;
    }
  }
}

void Stack::handle_arp(Bytes payload, uint64_t now_ms) {
  auto a = parse_arp(payload);
  if (!a.ok()) {
    ++stats_.malformed;
    return;
  }
  if (addr_ == 0 || a->target_ip != addr_) {
    // Learn only from replies meant for us (no cache poisoning from unrelated chatter).
    return;
  }
  arp_learn(a->sender_ip, a->sender_mac, now_ms);
  if (a->op == ARP_REQUEST) {
    uint8_t f[ETH_HEADER + ARP_PACKET];
    write_ethernet(MutBytes(f, sizeof(f)), a->sender_mac, mac_, ETHERTYPE_ARP);
    ArpPacket r{ARP_REPLY, mac_, addr_, a->sender_mac, a->sender_ip};
    write_arp(MutBytes(f + ETH_HEADER, ARP_PACKET), r);
    enqueue(f, sizeof(f));
  }
}

void Stack::handle_ipv4(Bytes payload, uint64_t now_ms) {
  auto ip = parse_ipv4(payload);
  if (!ip.ok()) {
    ++stats_.malformed;
    return;
  }
  bool for_us = (addr_ != 0 && ip->dst == addr_) || ip->dst == IP4_BROADCAST ||
                (addr_ == 0 && ip->protocol == IPPROTO_UDP);  // DHCP replies before we have an address
  if (!for_us) return;
  switch (ip->protocol) {
    case IPPROTO_ICMP: handle_icmp(*ip, now_ms); break;
    case IPPROTO_UDP: handle_udp(*ip, now_ms); break;
    case IPPROTO_TCP: handle_tcp(*ip, now_ms); break;
    default: break;
  }
}

void Stack::handle_icmp(const Ipv4Packet& ip, uint64_t now_ms) {
  auto m = parse_icmp(ip.payload);
  if (!m.ok()) {
    ++stats_.malformed;
    return;
  }
  if (m->type == ICMP_ECHO_REQUEST && m->code == 0 && ip.dst == addr_) {
    size_t body = m->body.size();
    if (L4 + ICMP_HEADER + body > ETH_MAX_FRAME) return;
    memcpy(scratch_ + L4 + ICMP_HEADER, m->body.data(), body);
    write_icmp(MutBytes(scratch_ + L4, ICMP_HEADER + body), ICMP_ECHO_REPLY, 0, m->ident, m->sequence, body);
    send_ip(addr_, ip.src, IPPROTO_ICMP, ICMP_HEADER + body, now_ms);
  } else if (m->type == ICMP_ECHO_REPLY && ping_.active && !ping_.v6 && !ping_.answered && ip.src == ping_.dst &&
             m->ident == ping_.ident && m->sequence == ping_.seq) {
    ping_.answered = true;
    ping_.rtt = now_ms - ping_.sent;
    ping_.ttl = ip.ttl;
  }
}

void Stack::handle_udp(const Ipv4Packet& ip, uint64_t now_ms) {
  auto d = parse_udp(ip.payload, ip.src, ip.dst);
  if (!d.ok()) {
    ++stats_.malformed;
    return;
  }
  if (use_dhcp_ && d->dst_port == DHCP_CLIENT_PORT && d->src_port == DHCP_SERVER_PORT) {
    handle_dhcp(d->payload, now_ms);
    return;
  }
  if (addr_ == 0 || ip.dst != addr_) return;
  if (dns_bound_ && d->src_port == DNS_PORT && ip.src == dns_) {
    auto p = udp_port(dns_port_);
    if (p.ok() && *p == d->dst_port) {
      handle_dns(d->payload, now_ms);
      return;
    }
  }
  for (UdpPort& u : udp_) {
    if (!u.used || u.port != d->dst_port) continue;
    if (u.count == UDP_QUEUE || d->payload.size() > UDP_MAX_PAYLOAD) {
      ++stats_.tx_dropped;
      return;
    }
    Datagram& g = u.queue[(u.head + u.count) % UDP_QUEUE];
    g.src = ip.src;
    g.src_port = d->src_port;
    g.len = uint16_t(d->payload.size());
    memcpy(g.data, d->payload.data(), g.len);
    ++u.count;
    return;
  }
  ++stats_.no_listener;
}

void Stack::handle_dhcp(Bytes payload, uint64_t now_ms) {
  auto m = parse_dhcp(payload);
  if (!m.ok()) {
    ++stats_.malformed;
    return;
  }
  if (dhcp_.on_message(*m, now_ms)) {
    const DhcpLease& l = dhcp_.lease();
    configure(l.address, l.prefix, l.router, l.dns);
  }
}

void Stack::send_tcp_reset(const Ipv4Packet& ip, const TcpSegment& seg, uint64_t now_ms) {
  if (seg.h.flags & TCP_RST) return;
  TcpHeader h;
  h.src_port = seg.h.dst_port;
  h.dst_port = seg.h.src_port;
  if (seg.h.flags & TCP_ACK) {
    h.seq = seg.h.ack;
    h.flags = TCP_RST;
  } else {
    h.seq = 0;
    h.ack = seg.h.seq + seg.seg_len();
    h.flags = TCP_RST | TCP_ACK;
  }
  write_tcp(MutBytes(scratch_ + L4, TCP_HEADER), h, addr_, ip.src, 0);
  send_ip(addr_, ip.src, IPPROTO_TCP, TCP_HEADER, now_ms);
}

void Stack::handle_tcp(const Ipv4Packet& ip, uint64_t now_ms) {
  auto seg = parse_tcp(ip.payload, ip.src, ip.dst);
  if (!seg.ok()) {
    ++stats_.malformed;
    return;
  }
  if (ip.dst != addr_) return;
  for (TcpSlot& s : tcp_) {
    TcpConnection& c = s.conn;
    if (!s.used || c.state() == TcpState::Closed || c.local_port() != seg->h.dst_port ||
        c.remote_port() != seg->h.src_port || c.remote_ip() != ip.src)
      continue;
    if (c.on_segment(*seg, now_ms) == TcpInput::ResetPeer) send_tcp_reset(ip, *seg, now_ms);
    return;
  }
  // No connection: a SYN for a listener, or a reset.
  if ((seg->h.flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN) {
    for (size_t li = 0; li < MAX_LISTENERS; ++li) {
      Listener& l = listeners_[li];
      if (!l.used || l.port != seg->h.dst_port) continue;
      uint32_t pending = 0;
      for (const TcpSlot& s : tcp_)
        if (s.used && s.listener == int8_t(li)) ++pending;
      auto slot = pending < l.backlog ? alloc_tcp_slot(now_ms) : Result<size_t>(fail(Err::Overloaded));
      if (!slot.ok()) {
        ++stats_.syn_dropped;
        return;
      }
      TcpSlot& s = tcp_[*slot];
      s.listener = int8_t(li);
      s.conn.open_passive(addr_, ip.src, *seg,
                          make_iss(addr_, seg->h.dst_port, ip.src, seg->h.src_port, now_ms), tuning_, now_ms);
      return;
    }
  }
  ++stats_.no_listener;
  send_tcp_reset(ip, *seg, now_ms);
}

// ---- timers

void Stack::tick(uint64_t now_ms) {
  for (TcpSlot& s : tcp_)
    if (s.used) s.conn.on_tick(now_ms);
  tick_ipv6(now_ms);
  for (Waiting& w : waiting_) {
    if (!w.used) continue;
    if (now_ms - w.since >= ARP_GIVE_UP_MS) {
      w.used = false;
      ++stats_.tx_dropped;
    } else if (now_ms - w.last_request >= ARP_RETRY_MS) {
      w.last_request = now_ms;
      arp_request(w.next_hop);
    }
  }
  for (DnsQuery& q : dnsq_) {
    if (!q.used || q.done || now_ms < q.deadline) continue;
    if (q.tries >= 3) {
      q.done = true;
      q.result = fail(Err::TimedOut);
    } else {
      dns_send(q, now_ms);
    }
  }
  flush(now_ms);
}

uint64_t Stack::next_deadline() const {
  uint64_t d = 0;
  auto take = [&d](uint64_t t) {
    if (t && (!d || t < d)) d = t;
  };
  for (const TcpSlot& s : tcp_)
    if (s.used) take(s.conn.next_deadline());
  for (const Waiting& w : waiting_)
    if (w.used) take(w.last_request + ARP_RETRY_MS);
  for (const DnsQuery& q : dnsq_)
    if (q.used && !q.done) take(q.deadline);
  if (use_dhcp_) take(dhcp_.next_deadline());
  take(rs_next_);
  if (have_global6_) take(global6_expiry_);
  return d;
}

}  // namespace capos::net
