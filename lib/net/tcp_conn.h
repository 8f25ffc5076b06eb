// One TCP connection's state machine (RFC 9293), independent of how
// segments travel: the stack feeds it parsed segments and clock ticks and
// pulls the segments it wants sent. Retransmission uses the RFC 6298 RTO
// estimator with Karn's rule and exponential backoff (go-back-N from
// snd_una on timeout); three duplicate ACKs trigger a fast retransmit
// (RFC 5681 Reno); window scaling (RFC 7323) is negotiated on SYN; RST
// and SYN in a synchronized state get RFC 5961 challenge ACKs. Nagle is
// off: data goes out as soon as the window allows. Out-of-order segments
// are dropped and answered with a duplicate ACK (the peer's fast
// retransmit recovers them). TIME_WAIT lasts TcpTuning::time_wait_ms.
#pragma once

#include "lib/net/byte_ring.h"
#include "lib/net/tcp_wire.h"

namespace capos::net {

enum class TcpState : uint8_t {
  Closed, SynSent, SynReceived, Established, FinWait1, FinWait2, CloseWait, Closing, LastAck, TimeWait,
};
const char* tcp_state_name(TcpState s);

struct TcpTuning {
  uint16_t mss = 1460;               // what we announce and the largest segment we send
  uint32_t rto_initial_ms = 1000;
  uint32_t rto_min_ms = 200;
  uint32_t rto_max_ms = 20000;
  uint32_t max_retransmits = 8;      // data/FIN timeouts in a row before the connection is dropped
  uint32_t max_syn_retransmits = 4;  // SYN or SYN-ACK
  uint32_t time_wait_ms = 2000;      // bounded 2*MSL
  uint32_t fin_wait2_ms = 10000;     // orphaned FIN_WAIT_2 (application gone) is dropped after this
  uint32_t delayed_ack_ms = 5;       // a lone full-sized segment's ACK waits at most this (RFC 1122 4.2.3.2)
};

constexpr size_t TCP_RX_BUFFER = 65536 * 2;
constexpr size_t TCP_TX_BUFFER = 65536;
constexpr uint8_t TCP_OUR_WSCALE = 2;  // 128 KiB receive buffer >> 2 fits in 16 bits

// Why a connection ended, once state() is Closed.
enum class TcpEnd : uint8_t { None, Closed, Reset, Refused, TimedOut };

// What on_segment asks of the stack besides this connection's own output.
enum class TcpInput : uint8_t { Ok, ResetPeer };

// A segment this connection wants sent; the payload was copied into the
// caller's buffer.
struct TcpOut {
  TcpHeader h;
  size_t payload_len;
};

class TcpConnection {
 public:
  TcpConnection() : rx_(rx_buf_, TCP_RX_BUFFER), tx_(tx_buf_, TCP_TX_BUFFER) {}
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Active open: the SYN goes out on the next next_segment().
  void open_active(Ip4 local, uint16_t lport, Ip4 remote, uint16_t rport, uint32_t iss, const TcpTuning& t,
                   uint64_t now_ms);
  // Passive open from a SYN a listener accepted; the SYN-ACK goes out next.
  void open_passive(Ip4 local, Ip4 remote, const TcpSegment& syn, uint32_t iss, const TcpTuning& t,
                    uint64_t now_ms);

  TcpInput on_segment(const TcpSegment& seg, uint64_t now_ms);
  void on_tick(uint64_t now_ms);
  // The next segment to send, its payload copied to `payload` (at least
  // mss bytes). Err::NotFound: nothing to send now.
  Result<TcpOut> next_segment(uint64_t now_ms, MutBytes payload);
  // Earliest time on_tick has work (0: no timer armed).
  uint64_t next_deadline() const;

  // Application side.
  size_t write(Bytes data);   // bytes queued (0 if full or not writable)
  size_t read(MutBytes out);  // bytes read (0 if none)
  bool writable() const;      // write() could accept at least one byte now or later
  bool eof() const { return fin_received_ && rx_.size() == 0; }
  size_t readable() const { return rx_.size(); }
  size_t send_space() const { return tx_.free(); }
  void shutdown();            // FIN after the queued data
  void abort();               // RST now, buffers dropped
  // The application let go: close gracefully, or reset if unread data
  // remains (RFC 1122 4.2.2.13).
  void release();
  bool released() const { return released_; }

  TcpState state() const { return state_; }
  TcpEnd end_reason() const { return end_; }
  bool synchronized() const;
  Ip4 local_ip() const { return local_ip_; }
  Ip4 remote_ip() const { return remote_ip_; }
  uint16_t local_port() const { return local_port_; }
  uint16_t remote_port() const { return remote_port_; }
  uint32_t unacked() const { return snd_max_ - snd_una_; }
  uint32_t send_window() const { return snd_wnd_; }
  uint32_t rto_ms() const { return rto_ms_; }
  uint32_t srtt_ms() const { return srtt_ms_; }
  uint64_t retransmits() const { return retransmits_; }
  uint64_t time_wait_deadline() const { return time_wait_deadline_; }

 private:
  uint32_t rcv_window() const;
  uint16_t window_field(bool syn) const;
  void enter_closed(TcpEnd why);
  void enter_time_wait(uint64_t now_ms);
  void rtt_sample(uint32_t r);
  void process_ack(const TcpSegment& seg, uint64_t now_ms);
  void process_data(const TcpSegment& seg, uint64_t now_ms);
  uint32_t data_end() const { return snd_una_ + uint32_t(tx_.size()); }
  TcpOut make(uint8_t flags, uint32_t seq, size_t len);

  TcpState state_ = TcpState::Closed;
  TcpEnd end_ = TcpEnd::None;
  TcpTuning t_{};
  Ip4 local_ip_ = 0, remote_ip_ = 0;
  uint16_t local_port_ = 0, remote_port_ = 0;

  uint32_t iss_ = 0, snd_una_ = 0, snd_nxt_ = 0, snd_max_ = 0;
  uint32_t snd_wnd_ = 0, snd_wl1_ = 0, snd_wl2_ = 0;
  uint8_t snd_wscale_ = 0, rcv_wscale_ = 0;
  uint16_t peer_mss_ = 536;
  uint32_t cwnd_ = 0, ssthresh_ = 0xFFFFFFFFu;
  uint32_t irs_ = 0, rcv_nxt_ = 0, rcv_adv_ = 0;

  uint32_t srtt_ms_ = 0, rttvar_ms_ = 0, rto_ms_ = 1000;
  bool rtt_timing_ = false;
  uint32_t rtt_seq_ = 0;
  uint64_t rtt_start_ = 0;
  uint64_t rtx_deadline_ = 0;
  uint32_t retries_ = 0;
  uint32_t dupacks_ = 0;
  uint64_t retransmits_ = 0;

  bool fin_queued_ = false, fin_sent_ = false, fin_acked_ = false, fin_received_ = false;
  bool ack_now_ = false, fast_rtx_ = false, probe_ = false, rst_pending_ = false;
  bool released_ = false;
  uint32_t rst_seq_ = 0;
  uint64_t time_wait_deadline_ = 0;
  uint64_t orphan_deadline_ = 0;
  uint32_t segs_unacked_ = 0;      // full-sized in-order segments received since our last ACK
  uint64_t delack_deadline_ = 0;   // when a delayed ACK is due (0: none)

  uint8_t rx_buf_[TCP_RX_BUFFER];
  uint8_t tx_buf_[TCP_TX_BUFFER];
  ByteRing rx_;
  ByteRing tx_;
};

}  // namespace capos::net
