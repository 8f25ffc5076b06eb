// IPv6 (lib/net/ip6.h): the stack answers Neighbor Solicitations for its
// link-local and SLAAC addresses (so neighbours can reach them) and
// ICMPv6 echo requests to them, solicits routers and takes its SLAAC
// address from their advertisements. Everything else over IPv6 is
// ignored.
#include "lib/core/cstring.h"
#include "lib/net/stack.h"

namespace capos::net {

namespace {

bool is_link_local(const Ip6& a) { return a.b[0] == 0xFE && (a.b[1] & 0xC0) == 0x80; }

}  // namespace

void Stack::start_ipv6(uint64_t now_ms) {
  ipv6_started_ = true;
  rs_sent_ = 0;
  rs_next_ = now_ms ? now_ms : 1;
  tick_ipv6(now_ms);
}

Result<Ip6> Stack::global_address() const {
  if (!have_global6_) return fail(Err::NotFound);
  return global6_;
}

Result<Ip6> Stack::router6() const {
  if (!have_global6_) return fail(Err::NotFound);
  return router6_;
}

void Stack::tick_ipv6(uint64_t now_ms) {
  if (have_global6_ && global6_expiry_ && now_ms >= global6_expiry_) {
    have_global6_ = false;  // the prefix's valid lifetime ran out; solicit again
    rs_sent_ = 0;
    rs_next_ = now_ms ? now_ms : 1;
  }
  if (!ipv6_started_ || have_global6_ || !rs_next_ || now_ms < rs_next_) return;
  send_router_solicit();
  ++rs_sent_;
  rs_next_ = rs_sent_ < 3 ? now_ms + 4000 : 0;  // RFC 4861 10: 3 solicitations, 4 s apart
}

void Stack::send_router_solicit() {
  uint8_t f[ETH_HEADER + IPV6_HEADER + 8 + ND_LINK_OPTION];
  uint8_t* msg = f + ETH_HEADER + IPV6_HEADER;
  size_t len = 8 + ND_LINK_OPTION;
  memset(msg, 0, len);
  msg[0] = ICMPV6_ROUTER_SOLICIT;
  msg[8] = ND_OPT_SOURCE_LL;
  msg[9] = 1;
  memcpy(msg + 10, mac_.b, 6);
  finish_icmp6(MutBytes(msg, len), ll6_, ALL_ROUTERS);
  write_ipv6(MutBytes(f + ETH_HEADER, IPV6_HEADER), ll6_, ALL_ROUTERS, IPPROTO_ICMPV6, uint16_t(len), 255);
  write_ethernet(MutBytes(f, ETH_HEADER), multicast_mac(ALL_ROUTERS), mac_, ETHERTYPE_IPV6);
  enqueue(f, sizeof(f));
}

Status Stack::ping6_start(const Ip6& dst, uint16_t sequence, uint64_t now_ms) {
  if (!have_global6_) return fail(Err::Disconnected);
  if (dst.is_multicast() || dst.is_unspecified()) return fail(Err::InvalidArgument);
  ping_ = Ping{};
  ping_.active = true;
  ping_.v6 = true;
  ping_.dst6 = dst;
  ping_.ident = PING_IDENT;
  ping_.seq = sequence;
  ping_.sent = now_ms;
  const Ip6& src = is_link_local(dst) ? ll6_ : global6_;
  constexpr size_t BODY = 32;
  uint8_t f[ETH_HEADER + IPV6_HEADER + ICMPV6_HEADER + 4 + BODY];
  uint8_t* msg = f + ETH_HEADER + IPV6_HEADER;
  size_t len = ICMPV6_HEADER + 4 + BODY;
  memset(msg, 0, len);
  msg[0] = ICMPV6_ECHO_REQUEST;
  put16(msg + 4, PING_IDENT);
  put16(msg + 6, sequence);
  for (size_t i = 0; i < BODY; ++i) msg[8 + i] = uint8_t('a' + i % 23);
  finish_icmp6(MutBytes(msg, len), src, dst);
  write_ipv6(MutBytes(f + ETH_HEADER, IPV6_HEADER), src, dst, IPPROTO_ICMPV6, uint16_t(len), 64);
  write_ethernet(MutBytes(f, ETH_HEADER), router6_mac_, mac_, ETHERTYPE_IPV6);
  enqueue(f, sizeof(f));
  return ok_status();
}

void Stack::router_advert(const Mac& from, const Ip6& src, Bytes rest, uint64_t now_ms) {
  auto ra = parse_router_advert(rest);
  if (!ra.ok()) {
    ++stats_.malformed;
    return;
  }
  if (!ra->have_prefix || ra->router_lifetime_s == 0) return;  // nothing to configure, or not a default router
  global6_ = slaac_address(ra->prefix, mac_);
  global6_expiry_ = ra->valid_s == 0xFFFFFFFFu ? 0 : now_ms + uint64_t{ra->valid_s} * 1000;
  router6_ = src;
  router6_mac_ = ra->have_mac ? ra->mac : from;
  have_global6_ = true;
  rs_next_ = 0;
}

void Stack::handle_ipv6(const Mac& from, Bytes payload, uint64_t now_ms) {
  auto ip = parse_ipv6(payload);
  if (!ip.ok()) {
    ++stats_.malformed;
    return;
  }
  if (ip->next_header != IPPROTO_ICMPV6 || from.is_multicast()) return;
  bool to_global = have_global6_ && ip->dst == global6_;
  if (!(ip->dst == ll6_) && !to_global && !(ip->dst == solicited_node(ll6_)) && !(ip->dst == ALL_NODES)) return;
  auto m = parse_icmp6(ip->payload, ip->src, ip->dst);
  if (!m.ok()) {
    ++stats_.malformed;
    return;
  }
  if (m->type == ICMPV6_ROUTER_ADVERT) {
    // RFC 4861 6.1.2: from a link-local source, hop limit 255, code 0.
    if (ip->hop_limit != 255 || m->code != 0 || !is_link_local(ip->src)) {
      ++stats_.malformed;
      return;
    }
    router_advert(from, ip->src, m->rest, now_ms);
    return;
  }
  if (ip->dst == ALL_NODES) return;  // nothing else addressed to all nodes is answered
  if (m->type == ICMPV6_ECHO_REPLY) {
    if (m->code == 0 && m->rest.size() >= 4 && ping_.active && ping_.v6 && !ping_.answered && ip->src == ping_.dst6 &&
        get16(m->rest.data()) == ping_.ident && get16(m->rest.data() + 2) == ping_.seq) {
      ping_.answered = true;
      ping_.rtt = now_ms - ping_.sent;
      ping_.ttl = ip->hop_limit;
    }
    return;
  }
  const Ip6& ours = to_global ? global6_ : ll6_;
  uint8_t f[ETH_MAX_FRAME];
  uint8_t* msg = f + ETH_HEADER + IPV6_HEADER;
  size_t len = 0;
  uint8_t hop_limit = 64;
  Ip6 src = ours;  // an advertisement answers from the target it is about
  if (m->type == ICMPV6_NEIGHBOR_SOLICIT && m->code == 0) {
    // RFC 4861 7.1.1: hop limit 255 (never routed), the target is ours; a
    // solicitation from :: is duplicate address detection, which we do
    // not answer (nobody else may use our address) — and neither do we
    // learn from it.
    if (ip->hop_limit != 255 || m->rest.size() < ND_MESSAGE - ICMPV6_HEADER) {
      ++stats_.malformed;
      return;
    }
    Ip6 target;
    memcpy(target.b, m->rest.data() + 4, 16);
    bool global_target = have_global6_ && target == global6_;
    if ((!(target == ll6_) && !global_target) || ip->src.is_unspecified() || ip->src.is_multicast()) return;
    src = target;
    len = ND_MESSAGE + ND_LINK_OPTION;
    memset(msg, 0, len);
    msg[0] = ICMPV6_NEIGHBOR_ADVERT;
    msg[4] = 0x60;  // Solicited, Override (not a router)
    memcpy(msg + 8, target.b, 16);
    msg[24] = ND_OPT_TARGET_LL;
    msg[25] = 1;  // length in units of 8 bytes
    memcpy(msg + 26, mac_.b, 6);
    hop_limit = 255;
  } else if (m->type == ICMPV6_ECHO_REQUEST && m->code == 0 && (ip->dst == ll6_ || to_global)) {
    if (ip->src.is_unspecified() || ip->src.is_multicast()) return;
    len = ICMPV6_HEADER + m->rest.size();
    if (ETH_HEADER + IPV6_HEADER + len > ETH_MAX_FRAME) return;
    msg[0] = ICMPV6_ECHO_REPLY;
    msg[1] = 0;
    memcpy(msg + ICMPV6_HEADER, m->rest.data(), m->rest.size());  // identifier, sequence, data
  } else {
    return;
  }
  finish_icmp6(MutBytes(msg, len), src, ip->src);
  write_ipv6(MutBytes(f + ETH_HEADER, IPV6_HEADER), src, ip->src, IPPROTO_ICMPV6, uint16_t(len), hop_limit);
  // The reply goes back to the link-layer sender (the solicitation's
  // source-address option says the same on a sane link).
  write_ethernet(MutBytes(f, ETH_HEADER), from, mac_, ETHERTYPE_IPV6);
  enqueue(f, ETH_HEADER + IPV6_HEADER + len);
}

}  // namespace capos::net
