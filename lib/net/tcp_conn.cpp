#include "lib/net/tcp_conn.h"

namespace capos::net {

const char* tcp_state_name(TcpState s) {
  switch (s) {
    case TcpState::Closed: return "CLOSED";
    case TcpState::SynSent: return "SYN-SENT";
    case TcpState::SynReceived: return "SYN-RECEIVED";
    case TcpState::Established: return "ESTABLISHED";
    case TcpState::FinWait1: return "FIN-WAIT-1";
    case TcpState::FinWait2: return "FIN-WAIT-2";
    case TcpState::CloseWait: return "CLOSE-WAIT";
    case TcpState::Closing: return "CLOSING";
    case TcpState::LastAck: return "LAST-ACK";
    case TcpState::TimeWait: return "TIME-WAIT";
  }
  return "?";
}

void TcpConnection::open_active(Ip4 local, uint16_t lport, Ip4 remote, uint16_t rport, uint32_t iss,
                                const TcpTuning& t, uint64_t now_ms) {
  t_ = t;
  local_ip_ = local; local_port_ = lport; remote_ip_ = remote; remote_port_ = rport;
  iss_ = snd_una_ = snd_nxt_ = snd_max_ = iss;
  rto_ms_ = t.rto_initial_ms;
  rcv_wscale_ = TCP_OUR_WSCALE;
  state_ = TcpState::SynSent;
}

void TcpConnection::open_passive(Ip4 local, Ip4 remote, const TcpSegment& syn, uint32_t iss, const TcpTuning& t,
                                 uint64_t now_ms) {
  t_ = t;
  local_ip_ = local; local_port_ = syn.h.dst_port; remote_ip_ = remote; remote_port_ = syn.h.src_port;
  iss_ = snd_una_ = snd_nxt_ = snd_max_ = iss;
  rto_ms_ = t.rto_initial_ms;
  irs_ = syn.h.seq;
  rcv_nxt_ = irs_ + 1;
  if (syn.h.has_wscale) {
    snd_wscale_ = syn.h.wscale;
    rcv_wscale_ = TCP_OUR_WSCALE;
  }
  if (syn.h.mss) peer_mss_ = syn.h.mss;
  snd_wnd_ = syn.h.window;  // never scaled in a SYN
  snd_wl1_ = syn.h.seq;
  state_ = TcpState::SynReceived;
}

bool TcpConnection::synchronized() const {
  return state_ != TcpState::Closed && state_ != TcpState::SynSent && state_ != TcpState::SynReceived;
}

uint32_t TcpConnection::rcv_window() const { return uint32_t(rx_.free()); }

uint16_t TcpConnection::window_field(bool syn) const {
  uint32_t w = syn ? rcv_window() : rcv_window() >> rcv_wscale_;
  return uint16_t(w > 0xFFFF ? 0xFFFF : w);
}

void TcpConnection::enter_closed(TcpEnd why) {
  state_ = TcpState::Closed;
  if (end_ == TcpEnd::None) end_ = why;
  rtx_deadline_ = 0;
  tx_.clear();
}

void TcpConnection::enter_time_wait(uint64_t now_ms) {
  state_ = TcpState::TimeWait;
  rtx_deadline_ = 0;
  time_wait_deadline_ = now_ms + t_.time_wait_ms;
}

void TcpConnection::rtt_sample(uint32_t r) {
  // RFC 6298 2.2/2.3 in whole milliseconds.
  if (srtt_ms_ == 0) {
    srtt_ms_ = r ? r : 1;
    rttvar_ms_ = r / 2;
  } else {
    uint32_t diff = srtt_ms_ > r ? srtt_ms_ - r : r - srtt_ms_;
    rttvar_ms_ = (3 * rttvar_ms_ + diff) / 4;
    srtt_ms_ = (7 * srtt_ms_ + r) / 8;
  }
  uint32_t rto = srtt_ms_ + max<uint32_t>(1, 4 * rttvar_ms_);
  rto_ms_ = min(max(rto, t_.rto_min_ms), t_.rto_max_ms);
}

TcpInput TcpConnection::on_segment(const TcpSegment& seg, uint64_t now_ms) {
  const TcpHeader& h = seg.h;
  if (state_ == TcpState::Closed) return TcpInput::Ok;

  if (state_ == TcpState::SynSent) {
    bool ack_ok = false;
    if (h.flags & TCP_ACK) {
      if (h.ack != iss_ + 1) return (h.flags & TCP_RST) ? TcpInput::Ok : TcpInput::ResetPeer;
      ack_ok = true;
    }
    if (h.flags & TCP_RST) {
      if (ack_ok) enter_closed(TcpEnd::Refused);
      return TcpInput::Ok;
    }
    if (!(h.flags & TCP_SYN)) return TcpInput::Ok;
    irs_ = h.seq;
    rcv_nxt_ = irs_ + 1;
    if (h.mss) peer_mss_ = h.mss;
    if (h.has_wscale) snd_wscale_ = h.wscale;
    else rcv_wscale_ = 0;
    ack_now_ = true;
    if (ack_ok) {
      snd_una_ = h.ack;
      if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
      snd_wnd_ = h.window;
      snd_wl1_ = h.seq;
      snd_wl2_ = h.ack;
      if (rtt_timing_) rtt_sample(uint32_t(now_ms - rtt_start_));
      rtt_timing_ = false;
      rtx_deadline_ = 0;
      retries_ = 0;
      cwnd_ = 4u * min<uint32_t>(peer_mss_, t_.mss);
      state_ = TcpState::Established;
    } else {
      state_ = TcpState::SynReceived;  // simultaneous open: send SYN-ACK
      snd_nxt_ = snd_una_;
    }
    return TcpInput::Ok;
  }

  // Acceptability (RFC 9293 3.10.7.4).
  uint32_t wnd = rcv_window();
  uint32_t len = seg.seg_len();
  bool acceptable;
  if (len == 0) {
    acceptable = wnd == 0 ? h.seq == rcv_nxt_ : (seq_ge(h.seq, rcv_nxt_) && seq_lt(h.seq, rcv_nxt_ + wnd));
  } else if (wnd == 0) {
    acceptable = false;
  } else {
    uint32_t last = h.seq + len - 1;
    acceptable = (seq_ge(h.seq, rcv_nxt_) && seq_lt(h.seq, rcv_nxt_ + wnd)) ||
                 (seq_ge(last, rcv_nxt_) && seq_lt(last, rcv_nxt_ + wnd)) ||
                 (seq_lt(h.seq, rcv_nxt_) && seq_ge(last, rcv_nxt_));
  }
  if (!acceptable) {
    if (!(h.flags & TCP_RST)) ack_now_ = true;
    if (state_ == TcpState::TimeWait && (h.flags & TCP_FIN)) time_wait_deadline_ = now_ms + t_.time_wait_ms;
    return TcpInput::Ok;
  }
  if (h.flags & TCP_RST) {
    if (h.seq == rcv_nxt_) {
      enter_closed(state_ == TcpState::TimeWait || state_ == TcpState::LastAck ? TcpEnd::Closed : TcpEnd::Reset);
      rx_.clear();
    } else {
      ack_now_ = true;  // challenge ACK (RFC 5961 3.2)
    }
    return TcpInput::Ok;
  }
  if (h.flags & TCP_SYN) {
    ack_now_ = true;  // RFC 5961 4.2
    return TcpInput::Ok;
  }
  if (!(h.flags & TCP_ACK)) return TcpInput::Ok;

  if (state_ == TcpState::SynReceived) {
    if (!(seq_gt(h.ack, snd_una_) && seq_le(h.ack, snd_max_))) return TcpInput::ResetPeer;
    snd_una_ = iss_ + 1;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    snd_wnd_ = uint32_t(h.window) << snd_wscale_;
    snd_wl1_ = h.seq;
    snd_wl2_ = h.ack;
    if (rtt_timing_) rtt_sample(uint32_t(now_ms - rtt_start_));
    rtt_timing_ = false;
    rtx_deadline_ = 0;
    retries_ = 0;
    cwnd_ = 4u * min<uint32_t>(peer_mss_, t_.mss);
    state_ = TcpState::Established;
  }
  process_ack(seg, now_ms);
  if (state_ == TcpState::Closed || state_ == TcpState::TimeWait) {
    if (state_ == TcpState::TimeWait && (h.flags & TCP_FIN)) {
      ack_now_ = true;
      time_wait_deadline_ = now_ms + t_.time_wait_ms;
    }
    return TcpInput::Ok;
  }
  process_data(seg, now_ms);
  return TcpInput::Ok;
}

void TcpConnection::process_ack(const TcpSegment& seg, uint64_t now_ms) {
  const TcpHeader& h = seg.h;
  if (seq_gt(h.ack, snd_max_)) {
    ack_now_ = true;  // acknowledges something never sent
    return;
  }
  uint32_t mss = min<uint32_t>(peer_mss_, t_.mss);
  uint32_t new_wnd = uint32_t(h.window) << snd_wscale_;
  if (h.ack == snd_una_) {
    if (seg.payload.size() == 0 && !(h.flags & TCP_FIN) && new_wnd == snd_wnd_ && snd_max_ != snd_una_) {
      ++dupacks_;
      if (dupacks_ == 3) {
        uint32_t flight = snd_max_ - snd_una_;
        ssthresh_ = max(flight / 2, 2 * mss);
        cwnd_ = ssthresh_ + 3 * mss;
        fast_rtx_ = true;
        rtt_timing_ = false;
      } else if (dupacks_ > 3) {
        cwnd_ += mss;
      }
    }
  } else if (seq_gt(h.ack, snd_una_)) {
    uint32_t acked = h.ack - snd_una_;
    if (fin_sent_ && h.ack == data_end() + 1) {
      fin_acked_ = true;
      tx_.pop(acked - 1);
    } else {
      tx_.pop(acked);
    }
    snd_una_ = h.ack;
    if (seq_lt(snd_nxt_, snd_una_)) snd_nxt_ = snd_una_;
    if (rtt_timing_ && seq_ge(h.ack, rtt_seq_)) {
      rtt_sample(uint32_t(now_ms - rtt_start_));
      rtt_timing_ = false;
    }
    if (dupacks_ >= 3) cwnd_ = ssthresh_;
    else if (cwnd_ < ssthresh_) cwnd_ += min(acked, mss);
    else cwnd_ += max<uint32_t>(1, mss * mss / cwnd_);
    dupacks_ = 0;
    retries_ = 0;
    probe_ = false;
    rtx_deadline_ = snd_una_ == snd_max_ ? 0 : now_ms + rto_ms_;
  }
  if (seq_lt(snd_wl1_, h.seq) || (snd_wl1_ == h.seq && seq_le(snd_wl2_, h.ack))) {
    snd_wnd_ = new_wnd;
    snd_wl1_ = h.seq;
    snd_wl2_ = h.ack;
  }
  if (fin_acked_) {
    if (state_ == TcpState::FinWait1) {
      state_ = TcpState::FinWait2;
      if (released_) orphan_deadline_ = now_ms + t_.fin_wait2_ms;
    } else if (state_ == TcpState::Closing) {
      enter_time_wait(now_ms);
    } else if (state_ == TcpState::LastAck) {
      enter_closed(TcpEnd::Closed);
    }
  }
}

void TcpConnection::process_data(const TcpSegment& seg, uint64_t now_ms) {
  const TcpHeader& h = seg.h;
  bool takes_data = state_ == TcpState::Established || state_ == TcpState::FinWait1 || state_ == TcpState::FinWait2;
  uint32_t seq = h.seq;
  Bytes data = seg.payload;
  if (seq_lt(seq, rcv_nxt_)) {
    uint32_t skip = rcv_nxt_ - seq;
    if (skip > data.size()) skip = uint32_t(data.size());
    data = data.subspan(skip).value();
    seq += skip;
  }
  if (data.size() > 0) {
    if (!takes_data || seq != rcv_nxt_) {  // after our FIN was received, or out of order: duplicate ACK now
      ack_now_ = true;
      return;
    }
    size_t n = rx_.push(data);
    rcv_nxt_ += uint32_t(n);
    if (n < data.size()) {  // beyond the window: the FIN (if any) is not reached
      ack_now_ = true;
      return;
    }
    // Every second full-sized segment is acknowledged at once, a lone one
    // within delayed_ack_ms, anything smaller at once (RFC 1122 4.2.3.2,
    // RFC 5681 4.2): half the ACK frames on a bulk transfer, and no
    // delay for request/response, whose segments are small.
    if (data.size() < t_.mss || ++segs_unacked_ >= 2) ack_now_ = true;
    else if (!delack_deadline_) delack_deadline_ = now_ms + t_.delayed_ack_ms;
  }
  if ((h.flags & TCP_FIN) && !fin_received_ && h.seq + uint32_t(seg.payload.size()) == rcv_nxt_) {
    fin_received_ = true;
    rcv_nxt_ += 1;
    ack_now_ = true;
    if (state_ == TcpState::Established) state_ = TcpState::CloseWait;
    else if (state_ == TcpState::FinWait1) {
      if (fin_acked_) enter_time_wait(now_ms);
      else state_ = TcpState::Closing;
    } else if (state_ == TcpState::FinWait2) {
      enter_time_wait(now_ms);
    }
  }
}

void TcpConnection::on_tick(uint64_t now_ms) {
  if (state_ == TcpState::TimeWait) {
    if (now_ms >= time_wait_deadline_) enter_closed(TcpEnd::Closed);
    return;
  }
  if (state_ == TcpState::FinWait2 && orphan_deadline_ && now_ms >= orphan_deadline_) {
    enter_closed(TcpEnd::TimedOut);
    return;
  }
  if (delack_deadline_ && now_ms >= delack_deadline_) ack_now_ = true;
  if (!rtx_deadline_ || now_ms < rtx_deadline_ || state_ == TcpState::Closed) return;
  ++retries_;
  bool syn = state_ == TcpState::SynSent || state_ == TcpState::SynReceived;
  if (retries_ > (syn ? t_.max_syn_retransmits : t_.max_retransmits)) {
    if (synchronized()) {
      rst_pending_ = true;
      rst_seq_ = snd_nxt_;
    }
    enter_closed(TcpEnd::TimedOut);
    return;
  }
  uint32_t mss = min<uint32_t>(peer_mss_, t_.mss);
  uint32_t flight = snd_max_ - snd_una_;
  ssthresh_ = max(flight / 2, 2 * mss);
  cwnd_ = mss;
  rto_ms_ = min(rto_ms_ * 2, t_.rto_max_ms);
  rtt_timing_ = false;  // Karn: no samples from retransmitted data
  dupacks_ = 0;
  if (synchronized() && snd_wnd_ == 0) probe_ = true;
  if (snd_nxt_ != snd_una_ || probe_ || syn) ++retransmits_;
  snd_nxt_ = snd_una_;
  rtx_deadline_ = 0;  // re-armed by the retransmission
  if (syn) snd_nxt_ = iss_;
}

uint64_t TcpConnection::next_deadline() const {
  if (state_ == TcpState::TimeWait) return time_wait_deadline_;
  if (state_ == TcpState::FinWait2 && orphan_deadline_) return orphan_deadline_;
  if (delack_deadline_ && (!rtx_deadline_ || delack_deadline_ < rtx_deadline_)) return delack_deadline_;
  return rtx_deadline_;
}

TcpOut TcpConnection::make(uint8_t flags, uint32_t seq, size_t len) {
  TcpOut o;
  o.h.src_port = local_port_;
  o.h.dst_port = remote_port_;
  o.h.seq = seq;
  o.h.flags = flags;
  if (flags & TCP_ACK) {
    o.h.ack = rcv_nxt_;
    ack_now_ = false;
    segs_unacked_ = 0;
    delack_deadline_ = 0;
    rcv_adv_ = rcv_nxt_ + rcv_window();
  }
  o.h.window = window_field(flags & TCP_SYN);
  if (flags & TCP_SYN) {
    o.h.mss = t_.mss;
    o.h.wscale = rcv_wscale_;
  }
  o.payload_len = len;
  return o;
}

Result<TcpOut> TcpConnection::next_segment(uint64_t now_ms, MutBytes payload) {
  if (rst_pending_) {
    rst_pending_ = false;
    TcpOut o = make(TCP_RST | TCP_ACK, rst_seq_, 0);
    o.h.window = 0;
    return o;
  }
  if (state_ == TcpState::SynSent || state_ == TcpState::SynReceived) {
    if (snd_nxt_ == iss_) {
      snd_nxt_ = iss_ + 1;
      snd_max_ = iss_ + 1;
      if (!rtx_deadline_) rtx_deadline_ = now_ms + rto_ms_;
      if (retries_ == 0 && !rtt_timing_) {
        rtt_timing_ = true;
        rtt_seq_ = iss_ + 1;
        rtt_start_ = now_ms;
      }
      return make(state_ == TcpState::SynSent ? TCP_SYN : TCP_SYN | TCP_ACK, iss_, 0);
    }
    if (ack_now_ && state_ == TcpState::SynReceived) return make(TCP_SYN | TCP_ACK, iss_, 0);
    return fail(Err::NotFound);
  }
  if (state_ == TcpState::Closed) return fail(Err::NotFound);

  bool may_send = state_ == TcpState::Established || state_ == TcpState::CloseWait ||
                  state_ == TcpState::FinWait1 || state_ == TcpState::Closing || state_ == TcpState::LastAck;
  if (may_send) {
    uint32_t mss = min<uint32_t>(peer_mss_, t_.mss);
    uint32_t offset = snd_nxt_ - snd_una_;
    size_t buffered = tx_.size();
    if (fast_rtx_ && buffered > 0) {
      fast_rtx_ = false;
      ++retransmits_;
      size_t n = tx_.peek(0, payload.first(min<size_t>(mss, buffered)));
      if (!rtx_deadline_) rtx_deadline_ = now_ms + rto_ms_;
      return make(TCP_ACK | TCP_PSH, snd_una_, n);
    }
    fast_rtx_ = false;
    if (offset < buffered) {
      uint32_t flight = offset;
      uint32_t wnd = min(snd_wnd_, cwnd_);
      uint32_t usable = wnd > flight ? wnd - flight : 0;
      if (probe_ && usable == 0 && flight == 0) usable = 1;  // zero-window probe
      size_t n = min<size_t>(min<size_t>(buffered - offset, usable), min<size_t>(mss, payload.size()));
      if (n > 0) {
        probe_ = false;
        size_t got = tx_.peek(offset, payload.first(n));
        uint32_t seq = snd_nxt_;
        snd_nxt_ += uint32_t(got);
        if (seq_gt(snd_nxt_, snd_max_)) {
          if (!rtt_timing_ && seq == snd_max_) {
            rtt_timing_ = true;
            rtt_seq_ = snd_nxt_;
            rtt_start_ = now_ms;
          }
          snd_max_ = snd_nxt_;
        }
        if (!rtx_deadline_) rtx_deadline_ = now_ms + rto_ms_;
        return make(TCP_ACK | (offset + got == buffered ? TCP_PSH : 0), seq, got);
      }
      if (snd_wnd_ == 0 && flight == 0 && !rtx_deadline_) rtx_deadline_ = now_ms + rto_ms_;  // persist
    }
    bool fin_due = fin_queued_ && state_ != TcpState::CloseWait && state_ != TcpState::Established &&
                   !fin_acked_ && snd_nxt_ == data_end();
    if (fin_due) {
      fin_sent_ = true;
      uint32_t seq = snd_nxt_;
      snd_nxt_ = seq + 1;
      if (seq_gt(snd_nxt_, snd_max_)) snd_max_ = snd_nxt_;
      if (!rtx_deadline_) rtx_deadline_ = now_ms + rto_ms_;
      return make(TCP_FIN | TCP_ACK, seq, 0);
    }
  }
  // A pure ACK carries snd_max, not snd_nxt: after a timeout rewound snd_nxt the peer may already hold
  // those bytes, and an ACK below its rcv_nxt would be unacceptable and answered by another ACK (an ACK war).
  if (ack_now_) return make(TCP_ACK, snd_max_, 0);
  return fail(Err::NotFound);
}

size_t TcpConnection::write(Bytes data) {
  if (!writable()) return 0;
  return tx_.push(data);
}

bool TcpConnection::writable() const {
  if (fin_queued_) return false;
  return state_ == TcpState::SynSent || state_ == TcpState::SynReceived || state_ == TcpState::Established ||
         state_ == TcpState::CloseWait;
}

size_t TcpConnection::read(MutBytes out) {
  size_t n = rx_.peek(0, out);
  rx_.pop(n);
  if (n > 0 && synchronized()) {
    // A window update of its own once the window has grown by two
    // segments or half the buffer, and only while what the peer was last
    // told is under half the buffer: a reader keeping up lets the ACKs
    // data gets carry the window (no extra frame per read).
    uint32_t edge = rcv_nxt_ + rcv_window();
    uint32_t grow = edge - rcv_adv_;
    uint32_t told = seq_gt(rcv_adv_, rcv_nxt_) ? rcv_adv_ - rcv_nxt_ : 0;
    if (seq_gt(edge, rcv_adv_) && told < TCP_RX_BUFFER / 2 && grow >= min<uint32_t>(TCP_RX_BUFFER / 2, 2u * t_.mss))
      ack_now_ = true;
  }
  return n;
}

void TcpConnection::shutdown() {
  if (fin_queued_) return;
  switch (state_) {
    case TcpState::SynSent: enter_closed(TcpEnd::Closed); return;
    case TcpState::SynReceived:
    case TcpState::Established: fin_queued_ = true; state_ = TcpState::FinWait1; return;
    case TcpState::CloseWait: fin_queued_ = true; state_ = TcpState::LastAck; return;
    default: return;
  }
}

void TcpConnection::abort() {
  if (synchronized() || state_ == TcpState::SynReceived) {
    if (state_ != TcpState::TimeWait) {
      rst_pending_ = true;
      rst_seq_ = snd_nxt_;
    }
  }
  rx_.clear();
  enter_closed(TcpEnd::Reset);
}

void TcpConnection::release() {
  released_ = true;
  if (rx_.size() > 0 && state_ != TcpState::Closed) {
    abort();
    return;
  }
  shutdown();
}

}  // namespace capos::net
