// IPv6 (lib/net/ip6.h, stack_ip6.cpp): addresses derived from the MAC,
// Neighbor Solicitation answered with an Advertisement, ICMPv6 echo
// answered, SLAAC from a Router Advertisement (solicited, renewed,
// expired, bad ones refused), and bad input dropped and counted.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "lib/net/ip6.h"
#include "lib/net/stack.h"

namespace capos::net {
namespace {

constexpr Mac OUR = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
constexpr Mac PEER = {{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

Ip6 peer_ll() { return link_local_from_mac(PEER); }

std::vector<uint8_t> icmp6_frame(const Mac& dst_mac, const Ip6& src, const Ip6& dst, std::vector<uint8_t> msg,
                                 uint8_t hop_limit = 255, bool fix_checksum = true) {
  if (fix_checksum) finish_icmp6(MutBytes(msg.data(), msg.size()), src, dst);
  std::vector<uint8_t> f(ETH_HEADER + IPV6_HEADER + msg.size());
  write_ethernet(MutBytes(f.data(), ETH_HEADER), dst_mac, PEER, ETHERTYPE_IPV6);
  write_ipv6(MutBytes(f.data() + ETH_HEADER, IPV6_HEADER), src, dst, IPPROTO_ICMPV6, uint16_t(msg.size()), hop_limit);
  memcpy(f.data() + ETH_HEADER + IPV6_HEADER, msg.data(), msg.size());
  return f;
}

std::vector<uint8_t> solicit(const Ip6& target) {
  std::vector<uint8_t> m(ND_MESSAGE + ND_LINK_OPTION, 0);
  m[0] = ICMPV6_NEIGHBOR_SOLICIT;
  memcpy(m.data() + 8, target.b, 16);
  m[24] = ND_OPT_SOURCE_LL;
  m[25] = 1;
  memcpy(m.data() + 26, PEER.b, 6);
  return m;
}

std::vector<std::vector<uint8_t>> drain(Stack& s) {
  std::vector<std::vector<uint8_t>> out;
  uint8_t f[ETH_MAX_FRAME];
  for (auto n = s.pop_frame(MutBytes(f, sizeof(f))); n.ok(); n = s.pop_frame(MutBytes(f, sizeof(f))))
    out.emplace_back(f, f + *n);
  return out;
}

TEST(NetIp6, AddressesFromTheMac) {
  Ip6 ll = link_local_from_mac(OUR);
  const uint8_t want[16] = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56};
  EXPECT_EQ(memcmp(ll.b, want, 16), 0);
  Ip6 sn = solicited_node(ll);
  const uint8_t want_sn[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0x12, 0x34, 0x56};
  EXPECT_EQ(memcmp(sn.b, want_sn, 16), 0);
  EXPECT_EQ(multicast_mac(sn), (Mac{{0x33, 0x33, 0xff, 0x12, 0x34, 0x56}}));
}

TEST(NetIp6, SolicitationForUsIsAdvertised) {
  Stack s(OUR, TcpTuning{}, 7);
  Ip6 sn = solicited_node(s.link_local());
  auto f = icmp6_frame(multicast_mac(sn), peer_ll(), sn, solicit(s.link_local()));
  s.receive_frame(Bytes(f.data(), f.size()), 1);
  auto out = drain(s);
  ASSERT_EQ(out.size(), 1u);
  auto eth = parse_ethernet(Bytes(out[0].data(), out[0].size()));
  ASSERT_TRUE(eth.ok());
  EXPECT_EQ(eth->dst, PEER);
  EXPECT_EQ(eth->type, ETHERTYPE_IPV6);
  auto ip = parse_ipv6(eth->payload);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->hop_limit, 255);
  EXPECT_EQ(ip->dst, peer_ll());
  auto m = parse_icmp6(ip->payload, ip->src, ip->dst);  // checksum right
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, ICMPV6_NEIGHBOR_ADVERT);
  ASSERT_EQ(m->rest.size(), ND_MESSAGE + ND_LINK_OPTION - ICMPV6_HEADER);
  EXPECT_EQ(m->rest[0], 0x60);  // solicited + override
  EXPECT_EQ(memcmp(m->rest.data() + 4, s.link_local().b, 16), 0);
  EXPECT_EQ(m->rest[20], ND_OPT_TARGET_LL);
  EXPECT_EQ(memcmp(m->rest.data() + 22, OUR.b, 6), 0);
}

TEST(NetIp6, EchoIsAnswered) {
  Stack s(OUR, TcpTuning{}, 7);
  std::vector<uint8_t> echo = {ICMPV6_ECHO_REQUEST, 0, 0, 0, 0x12, 0x34, 0x00, 0x07, 'c', 'a', 'p'};
  auto f = icmp6_frame(OUR, peer_ll(), s.link_local(), echo, 64);
  s.receive_frame(Bytes(f.data(), f.size()), 1);
  auto out = drain(s);
  ASSERT_EQ(out.size(), 1u);
  auto ip = parse_ipv6(Bytes(out[0].data() + ETH_HEADER, out[0].size() - ETH_HEADER));
  ASSERT_TRUE(ip.ok());
  auto m = parse_icmp6(ip->payload, ip->src, ip->dst);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, ICMPV6_ECHO_REPLY);
  std::vector<uint8_t> rest(m->rest.data(), m->rest.data() + m->rest.size());
  EXPECT_EQ(rest, (std::vector<uint8_t>{0x12, 0x34, 0x00, 0x07, 'c', 'a', 'p'}));
}

TEST(NetIp6, BadInputIsDroppedAndCounted) {
  Stack s(OUR, TcpTuning{}, 7);
  Ip6 sn = solicited_node(s.link_local());
  Mac sn_mac = multicast_mac(sn);
  // Wrong checksum, routed solicitation (hop limit 64), truncated header:
  // malformed. Someone else's target, duplicate address detection from ::,
  // another host's solicited-node group: ignored, not malformed.
  auto bad_sum = icmp6_frame(sn_mac, peer_ll(), sn, solicit(s.link_local()), 255, false);
  bad_sum[ETH_HEADER + IPV6_HEADER + 2] ^= 0x55;
  auto routed = icmp6_frame(sn_mac, peer_ll(), sn, solicit(s.link_local()), 64);
  auto truncated = icmp6_frame(sn_mac, peer_ll(), sn, solicit(s.link_local()));
  truncated.resize(ETH_HEADER + 20);
  auto other = icmp6_frame(sn_mac, peer_ll(), sn, solicit(peer_ll()));
  auto dad = icmp6_frame(sn_mac, Ip6{}, sn, solicit(s.link_local()));
  Ip6 other_group = solicited_node(peer_ll());
  auto not_ours = icmp6_frame(multicast_mac(other_group), peer_ll(), other_group, solicit(peer_ll()));
  uint64_t before = s.stats().malformed;
  for (auto* f : {&bad_sum, &routed, &truncated}) s.receive_frame(Bytes(f->data(), f->size()), 1);
  EXPECT_EQ(s.stats().malformed, before + 3);
  for (auto* f : {&other, &dad, &not_ours}) s.receive_frame(Bytes(f->data(), f->size()), 1);
  EXPECT_EQ(s.stats().malformed, before + 3);
  EXPECT_TRUE(drain(s).empty());
}

// A Router Advertisement as QEMU's SLIRP sends it: source link-layer
// option, then a prefix information option (fec0::/64, on-link and
// autonomous) with the given lifetimes.
std::vector<uint8_t> advert(uint32_t valid = 86400, uint32_t preferred = 14400, uint8_t plen = 64,
                            uint8_t flags = 0xC0, uint16_t router_lifetime = 1800) {
  std::vector<uint8_t> m(RA_MESSAGE + 8 + 32, 0);
  m[0] = ICMPV6_ROUTER_ADVERT;
  m[4] = 64;
  m[6] = uint8_t(router_lifetime >> 8);
  m[7] = uint8_t(router_lifetime);
  uint8_t* o = m.data() + RA_MESSAGE;
  o[0] = ND_OPT_SOURCE_LL;
  o[1] = 1;
  memcpy(o + 2, PEER.b, 6);
  o += 8;
  o[0] = ND_OPT_PREFIX_INFO;
  o[1] = 4;
  o[2] = plen;
  o[3] = flags;
  for (int i = 0; i < 4; ++i) {
    o[4 + i] = uint8_t(valid >> (24 - 8 * i));
    o[8 + i] = uint8_t(preferred >> (24 - 8 * i));
  }
  o[16] = 0xFE;
  o[17] = 0xC0;
  return m;
}

constexpr Ip6 SLIRP_GLOBAL = {{0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56}};

void receive_advert(Stack& s, std::vector<uint8_t> m, uint64_t now, uint8_t hop_limit = 255) {
  auto f = icmp6_frame(multicast_mac(ALL_NODES), peer_ll(), ALL_NODES, std::move(m), hop_limit);
  s.receive_frame(Bytes(f.data(), f.size()), now);
}

TEST(NetIp6, RouterSolicitationsUntilAnAdvertisementGivesTheAddress) {
  Stack s(OUR, TcpTuning{}, 7);
  EXPECT_FALSE(s.global_address().ok());
  s.start_ipv6(1000);
  s.flush(1000);
  auto out = drain(s);
  ASSERT_EQ(out.size(), 1u);
  auto eth = parse_ethernet(Bytes(out[0].data(), out[0].size()));
  ASSERT_TRUE(eth.ok());
  EXPECT_EQ(eth->dst, multicast_mac(ALL_ROUTERS));
  auto ip = parse_ipv6(eth->payload);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->dst, ALL_ROUTERS);
  EXPECT_EQ(ip->src, s.link_local());
  EXPECT_EQ(ip->hop_limit, 255);
  auto m = parse_icmp6(ip->payload, ip->src, ip->dst);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, ICMPV6_ROUTER_SOLICIT);
  // Three solicitations 4 s apart, then silence.
  EXPECT_EQ(s.next_deadline(), 5000u);
  s.tick(5000);
  EXPECT_EQ(drain(s).size(), 1u);
  s.tick(9000);
  EXPECT_EQ(drain(s).size(), 1u);
  s.tick(13000);
  EXPECT_EQ(drain(s).size(), 0u);
  receive_advert(s, advert(), 14000);
  auto g = s.global_address();
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, SLIRP_GLOBAL);
  EXPECT_EQ(*s.router6(), peer_ll());
}

TEST(NetIp6, SlaacAddressAnswersSolicitationAndEcho) {
  Stack s(OUR, TcpTuning{}, 7);
  receive_advert(s, advert(), 10);
  ASSERT_TRUE(s.global_address().ok());
  Ip6 sn = solicited_node(SLIRP_GLOBAL);
  auto f = icmp6_frame(multicast_mac(sn), peer_ll(), sn, solicit(SLIRP_GLOBAL));
  s.receive_frame(Bytes(f.data(), f.size()), 20);
  auto out = drain(s);
  ASSERT_EQ(out.size(), 1u);
  auto ip = parse_ipv6(parse_ethernet(Bytes(out[0].data(), out[0].size()))->payload);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->src, SLIRP_GLOBAL);
  auto m = parse_icmp6(ip->payload, ip->src, ip->dst);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, ICMPV6_NEIGHBOR_ADVERT);
  EXPECT_EQ(memcmp(m->rest.data() + 4, SLIRP_GLOBAL.b, 16), 0);
  Ip6 far = {{0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
  std::vector<uint8_t> echo = {ICMPV6_ECHO_REQUEST, 0, 0, 0, 0, 7, 0, 1, 'h', 'i'};
  f = icmp6_frame(OUR, far, SLIRP_GLOBAL, echo, 64);
  s.receive_frame(Bytes(f.data(), f.size()), 30);
  out = drain(s);
  ASSERT_EQ(out.size(), 1u);
  ip = parse_ipv6(parse_ethernet(Bytes(out[0].data(), out[0].size()))->payload);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->src, SLIRP_GLOBAL);
  EXPECT_EQ(ip->dst, far);
  m = parse_icmp6(ip->payload, ip->src, ip->dst);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, ICMPV6_ECHO_REPLY);
}

TEST(NetIp6, AddressExpiresWithThePrefixAndARenewalKeepsIt) {
  Stack s(OUR, TcpTuning{}, 7);
  s.start_ipv6(1);
  (void)drain(s);
  receive_advert(s, advert(10, 5), 1000);
  ASSERT_TRUE(s.global_address().ok());
  receive_advert(s, advert(10, 5), 6000);  // renewed: valid until 16 s
  s.tick(12000);
  EXPECT_TRUE(s.global_address().ok());
  s.tick(16000);
  EXPECT_FALSE(s.global_address().ok());
  auto out = drain(s);  // soliciting again
  ASSERT_EQ(out.size(), 1u);
}

TEST(NetIp6, PingGoesThroughTheRouterAndItsReplyIsMatched) {
  Stack s(OUR, TcpTuning{}, 7);
  Ip6 host = {{0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};
  EXPECT_EQ(s.ping6_start(host, 1, 5).error(), Err::Disconnected);  // no SLAAC address yet
  receive_advert(s, advert(), 10);
  (void)drain(s);
  EXPECT_EQ(s.ping6_start(ALL_NODES, 1, 20).error(), Err::InvalidArgument);
  ASSERT_TRUE(s.ping6_start(host, 9, 20).ok());
  auto out = drain(s);
  ASSERT_EQ(out.size(), 1u);
  auto eth = parse_ethernet(Bytes(out[0].data(), out[0].size()));
  ASSERT_TRUE(eth.ok());
  EXPECT_EQ(eth->dst, PEER);  // the router's link-layer address from its advertisement
  auto ip = parse_ipv6(eth->payload);
  ASSERT_TRUE(ip.ok());
  EXPECT_EQ(ip->src, SLIRP_GLOBAL);
  EXPECT_EQ(ip->dst, host);
  auto m = parse_icmp6(ip->payload, ip->src, ip->dst);
  ASSERT_TRUE(m.ok());
  ASSERT_EQ(m->type, ICMPV6_ECHO_REQUEST);
  std::vector<uint8_t> reply(ICMPV6_HEADER + m->rest.size());
  reply[0] = ICMPV6_ECHO_REPLY;
  memcpy(reply.data() + ICMPV6_HEADER, m->rest.data(), m->rest.size());
  auto wrong_seq = reply;
  wrong_seq[7] ^= 1;
  auto f = icmp6_frame(OUR, host, SLIRP_GLOBAL, wrong_seq, 64);
  s.receive_frame(Bytes(f.data(), f.size()), 25);
  EXPECT_FALSE(s.ping_result().ok());  // someone else's echo
  f = icmp6_frame(OUR, SLIRP_GLOBAL, SLIRP_GLOBAL, reply, 64);
  s.receive_frame(Bytes(f.data(), f.size()), 26);
  EXPECT_FALSE(s.ping_result().ok());  // from the wrong address
  f = icmp6_frame(OUR, host, SLIRP_GLOBAL, reply, 63);
  s.receive_frame(Bytes(f.data(), f.size()), 30);
  auto r = s.ping_result();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->rtt_ms, 10u);
  EXPECT_EQ(r->ttl, 63);
}

TEST(NetIp6, UnusableOrBadAdvertisementsConfigureNothing) {
  struct Bad {
    std::vector<uint8_t> m;
    uint8_t hop_limit;
    bool malformed;
  };
  std::vector<Bad> cases = {
      {advert(86400, 14400, 48), 255, false},          // not a /64
      {advert(86400, 14400, 64, 0x80), 255, false},    // not autonomous
      {advert(0, 0), 255, false},                      // valid lifetime 0
      {advert(100, 200), 255, false},                  // preferred > valid
      {advert(86400, 14400, 64, 0xC0, 0), 255, false}, // router lifetime 0: not a default router
      {advert(), 64, true},                            // routed (hop limit < 255)
  };
  auto zero_len = advert();
  zero_len[RA_MESSAGE + 1] = 0;  // an option of length 0
  cases.push_back({zero_len, 255, true});
  auto past_end = advert();
  past_end[RA_MESSAGE + 8 + 1] = 9;  // runs past the message
  cases.push_back({past_end, 255, true});
  auto short_ra = advert();
  short_ra.resize(10);
  cases.push_back({short_ra, 255, true});
  for (size_t i = 0; i < cases.size(); ++i) {
    Stack s(OUR, TcpTuning{}, 7);
    receive_advert(s, cases[i].m, 10, cases[i].hop_limit);
    EXPECT_FALSE(s.global_address().ok()) << i;
    EXPECT_EQ(s.stats().malformed, cases[i].malformed ? 1u : 0u) << i;
  }
  // From a global (not link-local) source: refused too.
  Stack s(OUR, TcpTuning{}, 7);
  auto f = icmp6_frame(multicast_mac(ALL_NODES), SLIRP_GLOBAL, ALL_NODES, advert());
  s.receive_frame(Bytes(f.data(), f.size()), 10);
  EXPECT_FALSE(s.global_address().ok());
  EXPECT_EQ(s.stats().malformed, 1u);
}

}  // namespace
}  // namespace capos::net

namespace capos::net {
namespace {

std::string text(std::initializer_list<uint8_t> bytes) {
  Ip6 a;
  size_t i = 0;
  for (uint8_t b : bytes) a.b[i++] = b;
  char out[IP6_TEXT_MAX];
  format_ip6(a, out);
  return out;
}

TEST(NetIp6, TextFormIsRfc5952) {
  EXPECT_EQ(text({0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0x50, 0x54, 0, 0xff, 0xfe, 0x12, 0x34, 0x56}), "fec0::5054:ff:fe12:3456");
  EXPECT_EQ(text({}), "::");
  EXPECT_EQ(text({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), "::1");
  EXPECT_EQ(text({0xfe, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), "fec0::");
  EXPECT_EQ(text({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}), "2001:db8:0:1::1");  // a lone zero stays
  EXPECT_EQ(text({0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}), "2001:0:0:1::1");  // the first longest run
  EXPECT_EQ(text({0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33, 0x44}),
            "2001:db8:1234:5678:9abc:def0:1122:3344");
}

}  // namespace
}  // namespace capos::net
