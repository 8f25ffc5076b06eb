#include "lib/net/dhcp.h"

#include "lib/core/cstring.h"

namespace capos::net {

namespace {
constexpr uint32_t MAGIC = 0x63825363;

Result<uint8_t> mask_to_prefix(uint32_t mask) {
  uint8_t n = 0;
  while (n < 32 && (mask & (0x80000000u >> n))) ++n;
  uint32_t expect = n == 0 ? 0 : n == 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> n);
  if (mask != expect) return fail(Err::Corrupt);
  return n;
}
}  // namespace

Result<DhcpMessage> parse_dhcp(Bytes payload) {
  if (payload.size() < DHCP_FIXED + 4) return fail(Err::Truncated);
  const uint8_t* p = payload.data();
  if (p[1] != 1 || p[2] != 6) return fail(Err::Unsupported);
  if (get32(p + DHCP_FIXED) != MAGIC) return fail(Err::Corrupt);
  DhcpMessage m;
  m.op = p[0];
  m.xid = get32(p + 4);
  m.yiaddr = get32(p + 16);
  memcpy(m.chaddr.b, p + 28, 6);
  bool have_type = false;
  size_t i = DHCP_FIXED + 4;
  while (i < payload.size()) {
    uint8_t code = p[i];
    if (code == 255) break;
    if (code == 0) { ++i; continue; }
    if (i + 1 >= payload.size()) return fail(Err::Corrupt);
    size_t len = p[i + 1];
    if (i + 2 + len > payload.size()) return fail(Err::Corrupt);
    const uint8_t* v = p + i + 2;
    switch (code) {
      case 53:
        if (len != 1 || v[0] < 1 || v[0] > 8) return fail(Err::Corrupt);
        m.type = DhcpType(v[0]);
        have_type = true;
        break;
      case 54: if (len == 4) m.server_id = get32(v); break;
      case 1:
        if (len == 4) m.prefix = CAPOS_TRY(mask_to_prefix(get32(v)));
        break;
      case 3: if (len >= 4) m.router = get32(v); break;
      case 6: if (len >= 4) m.dns = get32(v); break;
      case 51: if (len == 4) m.lease_s = get32(v); break;
      default: break;
    }
    i += 2 + len;
  }
  if (!have_type) return fail(Err::Unsupported);
  return m;
}

size_t write_dhcp_client(MutBytes out, DhcpType type, uint32_t xid, const Mac& mac, Ip4 ciaddr, Ip4 requested,
                         Ip4 server_id) {
  if (out.size() < DHCP_MAX_MESSAGE) __builtin_trap();
  uint8_t* p = out.data();
  memset(p, 0, DHCP_MAX_MESSAGE);
  p[0] = 1;  // BOOTREQUEST
  p[1] = 1;
  p[2] = 6;
  put32(p + 4, xid);
  put16(p + 10, ciaddr ? 0 : 0x8000);  // broadcast flag until we have an address
  put32(p + 12, ciaddr);
  memcpy(p + 28, mac.b, 6);
  put32(p + DHCP_FIXED, MAGIC);
  size_t i = DHCP_FIXED + 4;
  p[i++] = 53; p[i++] = 1; p[i++] = uint8_t(type);
  if (requested) { p[i++] = 50; p[i++] = 4; put32(p + i, requested); i += 4; }
  if (server_id) { p[i++] = 54; p[i++] = 4; put32(p + i, server_id); i += 4; }
  p[i++] = 55; p[i++] = 4; p[i++] = 1; p[i++] = 3; p[i++] = 6; p[i++] = 51;  // parameter request list
  p[i++] = 255;
  return i < 300 ? 300 : i;  // BOOTP minimum size
}

void DhcpClient::start(const Mac& mac, uint32_t xid_seed, uint64_t now_ms) {
  mac_ = mac;
  xid_ = xid_seed;
  restart(now_ms);
}

void DhcpClient::restart(uint64_t now_ms) {
  ++xid_;
  state_ = DhcpState::Selecting;
  attempt_ = 0;
  send_now_ = true;
  deadline_ = now_ms;
  lease_ = DhcpLease{};
}

bool DhcpClient::on_message(const DhcpMessage& m, uint64_t now_ms) {
  if (m.op != 2 || m.xid != xid_ || !(m.chaddr == mac_)) return false;
  if (state_ == DhcpState::Selecting && m.type == DhcpType::Offer && m.yiaddr && m.server_id) {
    offered_ = m.yiaddr;
    offer_server_ = m.server_id;
    state_ = DhcpState::Requesting;
    attempt_ = 0;
    send_now_ = true;
    deadline_ = now_ms;
    return false;
  }
  if ((state_ == DhcpState::Requesting || state_ == DhcpState::Renewing) && m.type == DhcpType::Nak) {
    restart(now_ms);
    return false;
  }
  if ((state_ == DhcpState::Requesting || state_ == DhcpState::Renewing) && m.type == DhcpType::Ack && m.yiaddr) {
    lease_.address = m.yiaddr;
    lease_.prefix = m.prefix ? m.prefix : 24;
    lease_.router = m.router;
    lease_.dns = m.dns;
    lease_.server = m.server_id ? m.server_id : offer_server_;
    lease_.lease_s = m.lease_s ? m.lease_s : 3600;
    lease_.obtained_ms = now_ms;
    state_ = DhcpState::Bound;
    send_now_ = false;
    attempt_ = 0;
    deadline_ = now_ms + uint64_t(lease_.lease_s) * 500;  // T1 = half the lease
    return true;
  }
  return false;
}

uint32_t DhcpClient::seconds_left(uint64_t now_ms) const {
  if (!bound()) return 0;
  uint64_t end = lease_.obtained_ms + uint64_t(lease_.lease_s) * 1000;
  return now_ms >= end ? 0 : uint32_t((end - now_ms) / 1000);
}

Result<DhcpSend> DhcpClient::poll(uint64_t now_ms, MutBytes out) {
  if (state_ == DhcpState::Idle) return fail(Err::NotFound);
  if (bound() && now_ms >= lease_.obtained_ms + uint64_t(lease_.lease_s) * 1000) restart(now_ms);
  if (!send_now_ && now_ms < deadline_) return fail(Err::NotFound);
  if (state_ == DhcpState::Bound) {
    state_ = DhcpState::Renewing;
    attempt_ = 0;
  }
  send_now_ = false;
  uint32_t backoff = attempt_ < 3 ? (1000u << attempt_) : 8000u;
  ++attempt_;
  if (state_ == DhcpState::Requesting && attempt_ > 4) {
    restart(now_ms);
  }
  deadline_ = now_ms + backoff;
  DhcpSend s{};
  switch (state_) {
    case DhcpState::Selecting:
      s.length = write_dhcp_client(out, DhcpType::Discover, xid_, mac_, 0, 0, 0);
      break;
    case DhcpState::Requesting:
      s.length = write_dhcp_client(out, DhcpType::Request, xid_, mac_, 0, offered_, offer_server_);
      break;
    case DhcpState::Renewing:
      s.length = write_dhcp_client(out, DhcpType::Request, xid_, mac_, lease_.address, 0, 0);
      s.source = lease_.address;
      s.unicast_to = lease_.server;
      break;
    default: return fail(Err::NotFound);
  }
  return s;
}

}  // namespace capos::net
