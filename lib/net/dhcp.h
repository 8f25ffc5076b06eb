// DHCPv4 (RFC 2131, options RFC 2132): message encoding and decoding and
// the client state machine (INIT -> SELECTING -> REQUESTING -> BOUND,
// renewal at T1 by unicast REQUEST, restart at expiry). Retransmissions
// back off from 1 s to 8 s. Messages come from the network and are
// checked field by field.
#pragma once

#include "lib/net/wire.h"

namespace capos::net {

constexpr uint16_t DHCP_SERVER_PORT = 67;
constexpr uint16_t DHCP_CLIENT_PORT = 68;
constexpr size_t DHCP_FIXED = 236;      // BOOTP fixed part
constexpr size_t DHCP_MAX_MESSAGE = 548;

enum class DhcpType : uint8_t { Discover = 1, Offer, Request, Decline, Ack, Nak, Release, Inform };

struct DhcpMessage {
  uint8_t op = 0;
  uint32_t xid = 0;
  Ip4 yiaddr = 0;
  Mac chaddr;
  DhcpType type = DhcpType::Discover;
  Ip4 server_id = 0;
  uint8_t prefix = 0;      // from option 1; 0 if absent
  Ip4 router = 0;          // first of option 3
  Ip4 dns = 0;             // first of option 6
  uint32_t lease_s = 0;    // option 51
};

// Errors: Truncated, Corrupt (magic cookie, an option past the end, a
// non-contiguous subnet mask), Unsupported (not Ethernet, or no message
// type option).
Result<DhcpMessage> parse_dhcp(Bytes payload);

// Encodes a client message (DISCOVER, or REQUEST with requested address
// and server id when nonzero); returns its length (<= DHCP_MAX_MESSAGE).
size_t write_dhcp_client(MutBytes out, DhcpType type, uint32_t xid, const Mac& mac, Ip4 ciaddr, Ip4 requested,
                         Ip4 server_id);

struct DhcpLease {
  Ip4 address = 0;
  uint8_t prefix = 24;
  Ip4 router = 0;
  Ip4 dns = 0;
  Ip4 server = 0;
  uint32_t lease_s = 0;
  uint64_t obtained_ms = 0;
};

enum class DhcpState : uint8_t { Idle, Selecting, Requesting, Bound, Renewing };

// A client message to send: broadcast unless `unicast_to` is nonzero.
struct DhcpSend {
  size_t length;
  Ip4 source;
  Ip4 unicast_to;
};

class DhcpClient {
 public:
  void start(const Mac& mac, uint32_t xid_seed, uint64_t now_ms);
  // Feed a message received on port 68; returns true when it produced a
  // new lease (Bound).
  bool on_message(const DhcpMessage& m, uint64_t now_ms);
  // Timers; may ask for a message. Err::NotFound: nothing to send now.
  Result<DhcpSend> poll(uint64_t now_ms, MutBytes out);
  uint64_t next_deadline() const { return deadline_; }
  DhcpState state() const { return state_; }
  const DhcpLease& lease() const { return lease_; }
  bool bound() const { return state_ == DhcpState::Bound || state_ == DhcpState::Renewing; }
  uint32_t seconds_left(uint64_t now_ms) const;

 private:
  void restart(uint64_t now_ms);
  Mac mac_;
  DhcpState state_ = DhcpState::Idle;
  uint32_t xid_ = 0;
  uint32_t attempt_ = 0;
  bool send_now_ = false;
  uint64_t deadline_ = 0;
  Ip4 offered_ = 0, offer_server_ = 0;
  DhcpLease lease_;
};

}  // namespace capos::net
