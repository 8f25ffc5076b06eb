// IPv6 on the link (lib/net/ip6.h): the stack answers Neighbor
// Solicitations for its link-local address (so neighbours can reach it)
// and ICMPv6 echo requests to it. Everything else over IPv6 is ignored.
#include "lib/core/cstring.h"
#include "lib/net/stack.h"

namespace capos::net {

void Stack::handle_ipv6(const Mac& from, Bytes payload) {
  auto ip = parse_ipv6(payload);
  if (!ip.ok()) {
    ++stats_.malformed;
    return;
  }
  if (ip->next_header != IPPROTO_ICMPV6 || from.is_multicast()) return;
  if (!(ip->dst == ll6_) && !(ip->dst == solicited_node(ll6_))) return;
  auto m = parse_icmp6(ip->payload, ip->src, ip->dst);
  if (!m.ok()) {
    ++stats_.malformed;
    return;
  }
  uint8_t f[ETH_MAX_FRAME];
  uint8_t* msg = f + ETH_HEADER + IPV6_HEADER;
  size_t len = 0;
  uint8_t hop_limit = 64;
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
    if (!(target == ll6_) || ip->src.is_unspecified() || ip->src.is_multicast()) return;
    len = ND_MESSAGE + ND_LINK_OPTION;
    memset(msg, 0, len);
    msg[0] = ICMPV6_NEIGHBOR_ADVERT;
    msg[4] = 0x60;  // Solicited, Override (not a router)
    memcpy(msg + 8, ll6_.b, 16);
    msg[24] = ND_OPT_TARGET_LL;
    msg[25] = 1;  // length in units of 8 bytes
    memcpy(msg + 26, mac_.b, 6);
    hop_limit = 255;
  } else if (m->type == ICMPV6_ECHO_REQUEST && m->code == 0 && ip->dst == ll6_) {
    if (ip->src.is_unspecified() || ip->src.is_multicast()) return;
    len = ICMPV6_HEADER + m->rest.size();
    if (ETH_HEADER + IPV6_HEADER + len > ETH_MAX_FRAME) return;
    msg[0] = ICMPV6_ECHO_REPLY;
    msg[1] = 0;
    memcpy(msg + ICMPV6_HEADER, m->rest.data(), m->rest.size());  // identifier, sequence, data
  } else {
    return;
  }
  finish_icmp6(MutBytes(msg, len), ll6_, ip->src);
  write_ipv6(MutBytes(f + ETH_HEADER, IPV6_HEADER), ll6_, ip->src, IPPROTO_ICMPV6, uint16_t(len), hop_limit);
  // The reply goes back to the link-layer sender (the solicitation's
  // source-address option says the same on a sane link).
  write_ethernet(MutBytes(f, ETH_HEADER), from, mac_, ETHERTYPE_IPV6);
  enqueue(f, ETH_HEADER + IPV6_HEADER + len);
}

}  // namespace capos::net
