// Parsers and encoders of lib/net against known bytes, plus the DHCP
// client and DNS stub driven through a stack by a fake server.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "lib/net/dhcp.h"
#include "lib/net/dns.h"
#include "tests/host/net/frames.h"
#include "tests/host/net/sim_link.h"

namespace capos::net::test {
namespace {

TEST(NetWire, ChecksumMatchesRfc1071Example) {
  const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(csum_fold(csum_add(0, Bytes(data, sizeof(data)))), uint16_t(~0xddf2 & 0xFFFF));
}

// The eight-bytes-per-step sum against the plain RFC 1071 loop: random
// lengths (odd too), contents and starting sums, and a length that
// makes the 64-bit accumulator carry.
TEST(NetWire, ChecksumMatchesTheSixteenBitLoop) {
  auto reference = [](uint32_t sum, const std::vector<uint8_t>& d) {
    uint64_t s = sum;
    size_t i = 0;
    for (; i + 1 < d.size(); i += 2) s += uint32_t(d[i] << 8 | d[i + 1]);
    if (i < d.size()) s += uint32_t{d[i]} << 8;
    while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
    return uint16_t(~s);
  };
  std::mt19937 rng(5);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> d(rng() % 1600);
    for (auto& b : d) b = uint8_t(rng());
    uint32_t start = round % 3 == 0 ? 0 : uint32_t(rng());
    ASSERT_EQ(csum_fold(csum_add(start, Bytes(d.data(), d.size()))), reference(start, d)) << round;
  }
  std::vector<uint8_t> ff(65536, 0xFF);
  EXPECT_EQ(csum_fold(csum_add(0xFFFFFFFFu, Bytes(ff.data(), ff.size()))), reference(0xFFFFFFFFu, ff));
}

TEST(NetWire, Ipv4RoundTripAndRejects) {
  uint8_t buf[40] = {};
  write_ipv4(MutBytes(buf, 20), ip4(1, 2, 3, 4), ip4(5, 6, 7, 8), IPPROTO_UDP, 20, 9, 64);
  auto p = parse_ipv4(Bytes(buf, 40));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->src, ip4(1, 2, 3, 4));
  EXPECT_EQ(p->payload.size(), 20u);
  EXPECT_EQ(parse_ipv4(Bytes(buf, 30)).error(), Err::Truncated);
  buf[15] ^= 1;
  EXPECT_EQ(parse_ipv4(Bytes(buf, 40)).error(), Err::Corrupt);
  buf[15] ^= 1;
  buf[6] = 0x20;  // more fragments
  buf[10] = buf[11] = 0;
  put16(buf + 10, csum_fold(csum_add(0, Bytes(buf, 20))));
  EXPECT_EQ(parse_ipv4(Bytes(buf, 40)).error(), Err::Unsupported);
}

TEST(NetWire, TcpOptionsParsedAndBadOptionsRejected) {
  TcpHeader h;
  h.src_port = 1;
  h.dst_port = 2;
  h.flags = TCP_SYN;
  h.mss = 1400;
  h.wscale = 7;
  uint8_t buf[28];
  write_tcp(MutBytes(buf, 28), h, 1, 2, 0);
  auto s = parse_tcp(Bytes(buf, 28), 1, 2);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->h.mss, 1400);
  EXPECT_TRUE(s->h.has_wscale);
  EXPECT_EQ(s->h.wscale, 7);
  EXPECT_EQ(parse_tcp(Bytes(buf, 28), 1, 3).error(), Err::Corrupt);  // pseudo-header mismatch
  buf[21] = 40;  // option length past the header
  EXPECT_EQ(parse_tcp(Bytes(buf, 28), 1, 2).error(), Err::Corrupt);
}

TEST(NetWire, UdpAndIcmpChecksums) {
  uint8_t buf[16] = {};
  memcpy(buf + 8, "abcdefgh", 8);
  write_udp(MutBytes(buf, 16), 10, 20, 5, 6, 8);
  ASSERT_TRUE(parse_udp(Bytes(buf, 16), 10, 20).ok());
  buf[12] ^= 4;
  EXPECT_EQ(parse_udp(Bytes(buf, 16), 10, 20).error(), Err::Corrupt);
  uint8_t icmp[12] = {};
  write_icmp(MutBytes(icmp, 12), ICMP_ECHO_REQUEST, 0, 7, 9, 4);
  auto m = parse_icmp(Bytes(icmp, 12));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->sequence, 9);
}

TEST(NetWire, DnsQueryAndResponse) {
  uint8_t q[512];
  auto n = write_dns_query(MutBytes(q, 512), 0x1234, "example.com", 11);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 12u + 13u + 4u);
  uint8_t scratch[512];
  EXPECT_EQ(write_dns_query(MutBytes(scratch, 512), 1, "bad..name", 9).error(), Err::InvalidArgument);
  EXPECT_EQ(write_dns_query(MutBytes(scratch, 512), 1, "sp ace", 6).error(), Err::InvalidArgument);
  // Response: the query plus two answers with compressed names.
  std::vector<uint8_t> r(q, q + *n);
  r[2] = 0x81;
  r[3] = 0x80;
  r[7] = 2;
  for (uint32_t a : {ip4(93, 184, 216, 34), ip4(1, 1, 1, 1)}) {
    uint8_t rr[16] = {0xC0, 12, 0, 1, 0, 1, 0, 0, 0, uint8_t(a == ip4(1, 1, 1, 1) ? 30 : 60), 0, 4};
    put32(rr + 12, a);
    r.insert(r.end(), rr, rr + 16);
  }
  auto a = parse_dns_response(Bytes(r.data(), r.size()));
  ASSERT_TRUE(a.ok()) << err_name(a.error());
  EXPECT_EQ(a->id, 0x1234);
  ASSERT_EQ(a->count, 2u);
  EXPECT_EQ(a->addresses[0], ip4(93, 184, 216, 34));
  EXPECT_EQ(a->ttl, 30u);
  r.resize(r.size() - 3);
  EXPECT_EQ(parse_dns_response(Bytes(r.data(), r.size())).error(), Err::Truncated);
}

TEST(NetWire, Ip4Literals) {
  EXPECT_EQ(*parse_ip4_literal("10.0.2.2", 8), ip4(10, 0, 2, 2));
  EXPECT_FALSE(parse_ip4_literal("10.0.2", 6).ok());
  EXPECT_FALSE(parse_ip4_literal("10.0.2.256", 10).ok());
  EXPECT_FALSE(parse_ip4_literal("10.0.2.2.", 9).ok());
}

// A DHCP server reply for `xid` offering 10.0.2.15 (SLIRP's numbers).
std::vector<uint8_t> dhcp_reply(uint32_t xid, const Mac& mac, DhcpType type) {
  std::vector<uint8_t> p(300, 0);
  p[0] = 2; p[1] = 1; p[2] = 6;
  put32(&p[4], xid);
  put32(&p[16], ip4(10, 0, 2, 15));
  memcpy(&p[28], mac.b, 6);
  put32(&p[236], 0x63825363);
  uint8_t opts[] = {53, 1, uint8_t(type), 54, 4, 10, 0, 2, 2, 1, 4, 255, 255, 255, 0, 3, 4, 10, 0, 2, 2,
                    6, 4, 10, 0, 2, 3, 51, 4, 0, 0, 0x0E, 0x10, 255};
  memcpy(&p[240], opts, sizeof(opts));
  return p;
}

TEST(NetDhcp, LeaseFromFakeServerConfiguresStack) {
  Stack s(MAC_A, TcpTuning{}, 99);
  s.start_dhcp(1);
  uint8_t f[ETH_MAX_FRAME];
  auto take_dhcp = [&](DhcpType expect) -> uint32_t {
    auto n = s.pop_frame(MutBytes(f, sizeof(f)));
    EXPECT_TRUE(n.ok());
    auto eth = parse_ethernet(Bytes(f, *n));
    auto ip = parse_ipv4(eth->payload);
    auto udp = parse_udp(ip->payload, ip->src, ip->dst);
    EXPECT_EQ(udp->dst_port, DHCP_SERVER_PORT);
    const uint8_t* d = udp->payload.data();
    EXPECT_EQ(d[242], uint8_t(expect));  // option 53 comes first
    return get32(d + 4);
  };
  uint32_t xid = take_dhcp(DhcpType::Discover);
  Mac server{{0x52, 0x55, 10, 0, 2, 2}};
  s.receive_frame(Bytes(udp_frame(MAC_BROADCAST, server, ip4(10, 0, 2, 2), IP4_BROADCAST, 67, 68,
                                  dhcp_reply(xid, MAC_A, DhcpType::Offer)).data(), 14 + 20 + 8 + 300), 5);
  EXPECT_EQ(take_dhcp(DhcpType::Request), xid);
  // A reply for another transaction is ignored.
  s.receive_frame(Bytes(udp_frame(MAC_BROADCAST, server, ip4(10, 0, 2, 2), IP4_BROADCAST, 67, 68,
                                  dhcp_reply(xid + 1, MAC_A, DhcpType::Ack)).data(), 14 + 20 + 8 + 300), 6);
  EXPECT_EQ(s.address(), 0u);
  s.receive_frame(Bytes(udp_frame(MAC_BROADCAST, server, ip4(10, 0, 2, 2), IP4_BROADCAST, 67, 68,
                                  dhcp_reply(xid, MAC_A, DhcpType::Ack)).data(), 14 + 20 + 8 + 300), 7);
  EXPECT_EQ(s.address(), ip4(10, 0, 2, 15));
  EXPECT_EQ(s.prefix(), 24);
  EXPECT_EQ(s.gateway(), ip4(10, 0, 2, 2));
  EXPECT_EQ(s.dns_server(), ip4(10, 0, 2, 3));
  EXPECT_EQ(s.dhcp().seconds_left(7), 3600u);
  // Renewal at T1 (half the lease) is a unicast REQUEST.
  s.tick(7 + 1800 * 1000);
  uint8_t g[ETH_MAX_FRAME];
  auto n = s.pop_frame(MutBytes(g, sizeof(g)));  // ARP for the server first
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(get16(g + 12), ETHERTYPE_ARP);
}

TEST(NetDns, ResolveThroughStackWithRetry) {
  Stack s(MAC_A, TcpTuning{}, 5);
  s.configure(ip4(10, 0, 2, 15), 24, ip4(10, 0, 2, 2), ip4(10, 0, 2, 3));
  auto q = s.dns_start("capos.example", 13, 1);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(s.dns_result(*q).error(), Err::Busy);
  uint8_t f[ETH_MAX_FRAME];
  auto n = s.pop_frame(MutBytes(f, sizeof(f)));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(get16(f + 12), ETHERTYPE_ARP);  // who has 10.0.2.3?
  Mac dns_mac{{0x52, 0x55, 10, 0, 2, 3}};
  s.receive_frame(Bytes(arp_frame(MAC_A, ArpPacket{ARP_REPLY, dns_mac, ip4(10, 0, 2, 3), MAC_A, ip4(10, 0, 2, 15)})
                            .data(), 42), 2);
  // First query was parked behind ARP and is now sent; drop it and let the retry come.
  ASSERT_TRUE(s.pop_frame(MutBytes(f, sizeof(f))).ok());
  s.tick(1001);
  n = s.pop_frame(MutBytes(f, sizeof(f)));
  ASSERT_TRUE(n.ok());
  auto ip = parse_ipv4(parse_ethernet(Bytes(f, *n))->payload);
  auto udp = parse_udp(ip->payload, ip->src, ip->dst);
  ASSERT_TRUE(udp.ok());
  EXPECT_EQ(udp->dst_port, DNS_PORT);
  std::vector<uint8_t> r(udp->payload.data(), udp->payload.data() + udp->payload.size());
  r[2] = 0x81; r[3] = 0x80; r[7] = 1;
  uint8_t rr[16] = {0xC0, 12, 0, 1, 0, 1, 0, 0, 1, 0, 0, 4, 192, 0, 2, 7};
  r.insert(r.end(), rr, rr + 16);
  s.receive_frame(Bytes(udp_frame(MAC_A, dns_mac, ip4(10, 0, 2, 3), ip4(10, 0, 2, 15), 53, udp->src_port, r).data(),
                        14 + 20 + 8 + r.size()), 1002);
  auto a = s.dns_result(*q);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->addresses[0], ip4(192, 0, 2, 7));
  EXPECT_EQ(a->ttl, 256u);
  s.dns_release(*q);
  EXPECT_EQ(s.dns_result(*q).error(), Err::Stale);
  // No answer at all: TimedOut after three tries.
  auto q2 = s.dns_start("nowhere.example", 15, 2000);
  for (uint64_t t = 2000; t < 6000; t += 500) s.tick(t);
  EXPECT_EQ(s.dns_result(*q2).error(), Err::TimedOut);
}

TEST(NetIcmp, PingBetweenStacksAndEchoReply) {
  SimLink link(31, {0, 0, 0, 0, 3});
  ASSERT_TRUE(link.a().ping_start(IP_B, 1, link.now()).ok());
  link.a().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return link.a().ping_result().ok(); }, 5000));
  EXPECT_EQ(link.a().ping_result()->rtt_ms, 12u);  // ARP request/reply (6 ms) then echo (6 ms)
  EXPECT_EQ(link.a().ping_result()->ttl, 64);
}

TEST(NetUdp, DatagramsBetweenStacksAndQueueBound) {
  SimLink link(32, {});
  auto ua = link.a().udp_bind(5000);
  auto ub = link.b().udp_bind(6000);
  ASSERT_TRUE(ua.ok() && ub.ok());
  EXPECT_EQ(link.b().udp_bind(6000).error(), Err::Busy);
  for (int i = 0; i < 10; ++i) {
    uint8_t d[3] = {'x', 'y', uint8_t('0' + i)};
    ASSERT_TRUE(link.a().udp_send(*ua, IP_B, 6000, Bytes(d, 3), link.now()).ok());
  }
  link.a().flush(link.now());
  link.run_until([&] { return false; }, 50);
  uint8_t buf[2];
  auto r = link.b().udp_receive(*ub, MutBytes(buf, 2));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->src_port, 5000);
  EXPECT_TRUE(r->truncated);
  int more = 0;
  while (link.b().udp_receive(*ub, MutBytes(buf, 2)).ok()) ++more;
  EXPECT_EQ(more, int(UDP_QUEUE) - 1);  // the rest were dropped, not queued without bound
  std::vector<uint8_t> big(UDP_MAX_PAYLOAD + 1);
  EXPECT_EQ(link.a().udp_send(*ua, IP_B, 6000, Bytes(big.data(), big.size()), link.now()).error(),
            Err::InvalidArgument);
}

}  // namespace
}  // namespace capos::net::test
