// The TCP/IP stack for one Ethernet interface: frames in, frames out,
// with a millisecond clock the caller supplies (deterministic in host
// tests). Everything is bounded and allocated inline: connection slots,
// listeners and their backlogs, UDP ports and their queues, the ARP cache
// and the frames waiting for ARP, the transmit queue. The caller (netd,
// or a host test's simulated link) feeds receive_frame(), calls tick() at
// next_deadline(), and drains pop_frame() after every call.
//
// Bounds against a hostile peer: a SYN is answered only while its
// listener has fewer than `backlog` connections half-open or unaccepted
// and a slot is free (else dropped and counted); SYN-ACKs are
// retransmitted at most max_syn_retransmits times; TIME_WAIT lasts
// time_wait_ms and a TIME_WAIT slot is recycled when the table is full.
#pragma once

#include "lib/net/dhcp.h"
#include "lib/net/dns.h"
#include "lib/net/ip.h"
#include "lib/net/ip6.h"
#include "lib/net/link.h"
#include "lib/net/tcp_conn.h"

namespace capos::net {

constexpr size_t MAX_TCP = 16;
constexpr size_t MAX_LISTENERS = 8;
constexpr size_t MAX_UDP = 8;
constexpr size_t UDP_QUEUE = 4;
constexpr size_t UDP_MAX_PAYLOAD = 1472;
constexpr size_t ARP_ENTRIES = 16;
constexpr size_t ARP_WAITING = 8;
constexpr size_t TX_QUEUE = 64;
constexpr size_t MAX_DNS_QUERIES = 4;

struct StackStats {
  uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  uint64_t malformed = 0, no_listener = 0, syn_dropped = 0, tx_dropped = 0;
  uint64_t retransmits = 0;  // of connections that have ended; add live ones for a total
};

// Handle to a TCP connection, listener or UDP port: slot plus generation,
// so a handle to a recycled slot is Stale.
struct NetHandle {
  uint16_t slot = 0;
  uint16_t gen = 0;
};

struct UdpReceived {
  Ip4 src;
  uint16_t src_port;
  size_t length;   // bytes copied
  bool truncated;
};

struct PingReply {
  uint64_t rtt_ms;
  uint8_t ttl;
};

class Stack {
 public:
  Stack(const Mac& mac, const TcpTuning& tuning, uint64_t secret);
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Static configuration (or what DHCP gave us).
  void configure(Ip4 address, uint8_t prefix, Ip4 gateway, Ip4 dns);
  // Start DHCP; the stack configures itself from the lease.
  void start_dhcp(uint64_t now_ms);
  // The interface's MAC (and the IPv6 link-local address derived from it)
  // once a driver process has attached (netd starts before its driver).
  void set_mac(const Mac& mac);
  const DhcpClient& dhcp() const { return dhcp_; }

  void receive_frame(Bytes frame, uint64_t now_ms);
  void tick(uint64_t now_ms);
  // Moves queued output into frames; called by receive_frame and tick,
  // and by the owner after socket calls that may produce output.
  void flush(uint64_t now_ms);
  // Next queued frame, copied into `out` (>= ETH_MAX_FRAME bytes).
  // Err::NotFound: the queue is empty.
  Result<size_t> pop_frame(MutBytes out);
  uint64_t next_deadline() const;

  // TCP.
  Result<NetHandle> tcp_listen(uint16_t port, uint32_t backlog);  // Busy: port in use; Overloaded: no slot
  void tcp_unlisten(NetHandle listener);
  Result<uint16_t> tcp_listen_port(NetHandle listener) const;  // Stale
  Result<NetHandle> tcp_accept(NetHandle listener);  // NotFound: nothing established yet; Stale
  Result<NetHandle> tcp_connect(Ip4 remote, uint16_t port, uint64_t now_ms);  // Overloaded: no slot
  Result<TcpConnection*> tcp(NetHandle h);  // Stale for a recycled or released slot
  void tcp_release(NetHandle h);            // the connection finishes on its own, then the slot is freed
  size_t tcp_open_count() const;

  // UDP.
  Result<NetHandle> udp_bind(uint16_t port);  // Busy; Overloaded; port 0 picks an ephemeral port
  void udp_unbind(NetHandle h);
  Result<uint16_t> udp_port(NetHandle h);
  Status udp_send(NetHandle h, Ip4 dst, uint16_t dst_port, Bytes data, uint64_t now_ms);  // InvalidArgument: too big
  Result<UdpReceived> udp_receive(NetHandle h, MutBytes out);  // NotFound: queue empty

  // ICMP echo: one outstanding ping at a time.
  Status ping_start(Ip4 dst, uint16_t sequence, uint64_t now_ms);
  Result<PingReply> ping_result() const;  // NotFound: no reply (yet)
  // ICMPv6 echo, sharing the one outstanding ping: from the SLAAC address
  // (the link-local one for a link-local destination), to the link-layer
  // address of the router that advertised the prefix (the one neighbour
  // known: no neighbour cache yet). Disconnected: no SLAAC address yet.
  Status ping6_start(const Ip6& dst, uint16_t sequence, uint64_t now_ms);

  // DNS: a query is sent to the configured server and retried 3 times,
  // 1 s apart. dns_result: Busy while pending, TimedOut, NotFound
  // (NXDOMAIN or no A record), Stale for a recycled handle.
  Result<NetHandle> dns_start(const char* name, size_t len, uint64_t now_ms);
  Result<DnsAnswer> dns_result(NetHandle h);
  void dns_release(NetHandle h);

  Ip4 address() const { return addr_; }
  uint8_t prefix() const { return prefix_; }
  Ip4 gateway() const { return gateway_; }
  Ip4 dns_server() const { return dns_; }
  const Mac& mac() const { return mac_; }
  // The IPv6 link-local address (from the MAC); the stack answers Neighbor
  // Solicitations for it and ICMPv6 echo to it (stack_ip6.cpp).
  const Ip6& link_local() const { return ll6_; }
  // SLAAC (RFC 4862): Router Solicitations to ff02::2 now and up to twice
  // more 4 s apart until a Router Advertisement offers a /64; the address
  // is the prefix with our interface id, kept for the prefix's valid
  // lifetime (a later advertisement renews it). No duplicate address
  // detection: the interface id comes from our MAC.
  void start_ipv6(uint64_t now_ms);
  // The SLAAC address; NotFound until an advertisement gave a prefix.
  Result<Ip6> global_address() const;
  // The advertising router's link-local address; NotFound as above.
  Result<Ip6> router6() const;
  StackStats stats() const;

 private:
  struct TcpSlot {
    bool used = false;
    bool app_holds = false;   // handle given out (accept/connect) and not released
    uint16_t gen = 0;
    int8_t listener = -1;     // listener whose backlog it counts against until accepted
    TcpConnection conn;
  };
  struct Listener {
    bool used = false;
    uint16_t gen = 0;
    uint16_t port = 0;
    uint32_t backlog = 0;
  };
  struct Datagram {
    Ip4 src;
    uint16_t src_port;
    uint16_t len;
    uint8_t data[UDP_MAX_PAYLOAD];
  };
  struct UdpPort {
    bool used = false;
    uint16_t gen = 0;
    uint16_t port = 0;
    size_t head = 0, count = 0;
    Datagram queue[UDP_QUEUE];
  };
  struct ArpEntry {
    Ip4 ip = 0;
    Mac mac;
    uint64_t stamp = 0;
    bool valid = false;
  };
  struct Waiting {
    bool used = false;
    Ip4 next_hop = 0;
    uint64_t since = 0, last_request = 0;
    uint16_t len = 0;
    uint8_t frame[ETH_MAX_FRAME];
  };
  struct Frame {
    uint16_t len;
    uint8_t data[ETH_MAX_FRAME];
  };
  struct DnsQuery {
    bool used = false, done = false;
    uint16_t gen = 0, id = 0;
    uint8_t tries = 0;
    uint64_t deadline = 0;
    uint16_t qlen = 0;
    uint8_t query[DNS_MAX_MESSAGE];
    Result<DnsAnswer> result = fail(Err::Busy);
  };

  void handle_arp(Bytes payload, uint64_t now_ms);
  void handle_ipv4(Bytes payload, uint64_t now_ms);
  void handle_ipv6(const Mac& from, Bytes payload, uint64_t now_ms);
  void router_advert(const Mac& from, const Ip6& src, Bytes rest, uint64_t now_ms);
  void send_router_solicit();
  void tick_ipv6(uint64_t now_ms);
  void handle_icmp(const Ipv4Packet& ip, uint64_t now_ms);
  void handle_udp(const Ipv4Packet& ip, uint64_t now_ms);
  void handle_tcp(const Ipv4Packet& ip, uint64_t now_ms);
  void handle_dhcp(Bytes payload, uint64_t now_ms);
  void handle_dns(Bytes payload, uint64_t now_ms);
  void send_tcp_reset(const Ipv4Packet& ip, const TcpSegment& seg, uint64_t now_ms);
  Result<size_t> alloc_tcp_slot(uint64_t now_ms);
  void free_finished_slots();
  void arp_learn(Ip4 ip, const Mac& mac, uint64_t now_ms);
  void arp_request(Ip4 ip);
  // l4 payload of `len` bytes is at scratch_[ETH_HEADER + IPV4_HEADER..).
  void send_ip(Ip4 src, Ip4 dst, uint8_t proto, size_t len, uint64_t now_ms);
  void send_udp_raw(Ip4 src, Ip4 dst, uint16_t sport, uint16_t dport, Bytes data, uint64_t now_ms);
  void enqueue(const uint8_t* frame, size_t len);
  uint32_t make_iss(Ip4 local, uint16_t lport, Ip4 remote, uint16_t rport, uint64_t now_ms);
  uint16_t ephemeral_port();
  void dns_send(DnsQuery& q, uint64_t now_ms);

  Mac mac_;
  Ip6 ll6_;
  // SLAAC (stack_ip6.cpp).
  bool ipv6_started_ = false;
  uint32_t rs_sent_ = 0;
  uint64_t rs_next_ = 0;            // next Router Solicitation (0: none due)
  bool have_global6_ = false;
  Ip6 global6_{};
  uint64_t global6_expiry_ = 0;     // 0: infinite valid lifetime
  Ip6 router6_{};
  Mac router6_mac_{};
  TcpTuning tuning_;
  uint64_t secret_;
  uint64_t rng_;
  Ip4 addr_ = 0, gateway_ = 0, dns_ = 0;
  uint8_t prefix_ = 0;
  bool use_dhcp_ = false;
  DhcpClient dhcp_;
  uint16_t ip_id_ = 1;
  StackStats stats_;

  TcpSlot tcp_[MAX_TCP];
  Listener listeners_[MAX_LISTENERS];
  UdpPort udp_[MAX_UDP];
  ArpEntry arp_[ARP_ENTRIES];
  Waiting waiting_[ARP_WAITING];
  Frame txq_[TX_QUEUE];
  size_t tx_head_ = 0, tx_count_ = 0;
  DnsQuery dnsq_[MAX_DNS_QUERIES];
  NetHandle dns_port_{};
  bool dns_bound_ = false;

  static constexpr uint16_t PING_IDENT = 0xCA05;  // echo identifier of our pings (v4 and v6)
  struct Ping {
    bool active = false, answered = false;
    Ip4 dst = 0;
    bool v6 = false;
    Ip6 dst6{};
    uint16_t ident = 0, seq = 0;
    uint64_t sent = 0, rtt = 0;
    uint8_t ttl = 0;
  } ping_;

  uint8_t scratch_[ETH_MAX_FRAME];
  uint8_t payload_[ETH_MAX_FRAME];
};

}  // namespace capos::net
