// Model-based random test of TcpConnection: two endpoints exchange
// segments through a queue the test loses, duplicates and reorders at
// random (fixed seeds), while the applications write, read and shut
// down at random. After every step: each side has read a prefix of what
// the other wrote, every state change is an edge of the RFC 9293
// diagram, and buffers stay within their bounds. At the end the link is
// made perfect and both sides must deliver everything and close.
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "lib/net/tcp_conn.h"

namespace capos::net::test {
namespace {

using S = TcpState;
const std::set<std::pair<S, S>> LEGAL = {
    {S::SynSent, S::SynReceived}, {S::SynSent, S::Established}, {S::SynSent, S::Closed},
    {S::SynReceived, S::Established}, {S::SynReceived, S::FinWait1}, {S::SynReceived, S::Closed},
    {S::Established, S::FinWait1}, {S::Established, S::CloseWait}, {S::Established, S::Closed},
    {S::FinWait1, S::FinWait2}, {S::FinWait1, S::Closing}, {S::FinWait1, S::TimeWait}, {S::FinWait1, S::Closed},
    {S::FinWait2, S::TimeWait}, {S::FinWait2, S::Closed},
    {S::CloseWait, S::LastAck}, {S::CloseWait, S::Closed},
    {S::Closing, S::TimeWait}, {S::Closing, S::Closed},
    {S::LastAck, S::Closed}, {S::TimeWait, S::Closed},
};

struct Wire {
  int to;
  std::vector<uint8_t> bytes;
};

class Model {
 public:
  explicit Model(uint32_t seed) : rng_(seed) {
    end_[0] = std::make_unique<TcpConnection>();
    end_[1] = std::make_unique<TcpConnection>();
    end_[0]->open_active(IP[0], 40000, IP[1], 80, rng_(), TcpTuning{}, now_);
    pump(0);
    // B opens passively from A's SYN.
    Wire syn = q_.front();
    q_.pop_front();
    auto seg = parse_tcp(Bytes(syn.bytes.data(), syn.bytes.size()), IP[0], IP[1]);
    end_[1]->open_passive(IP[1], IP[0], *seg, rng_(), TcpTuning{}, now_);
    prev_[0] = end_[0]->state();
    prev_[1] = end_[1]->state();
  }

  void pump(int who) {
    uint8_t payload[2048];
    for (int i = 0; i < 64; ++i) {
      auto o = end_[who]->next_segment(now_, MutBytes(payload, sizeof(payload)));
      if (!o.ok()) break;
      size_t hl = tcp_header_len(o->h);
      std::vector<uint8_t> b(hl + o->payload_len);
      memcpy(b.data() + hl, payload, o->payload_len);
      write_tcp(MutBytes(b.data(), b.size()), o->h, IP[who], IP[1 - who], o->payload_len);
      q_.push_back({1 - who, std::move(b)});
    }
  }

  void deliver(size_t i) {
    Wire w = q_[i];
    q_.erase(q_.begin() + long(i));
    auto seg = parse_tcp(Bytes(w.bytes.data(), w.bytes.size()), IP[1 - w.to], IP[w.to]);
    ASSERT_TRUE(seg.ok());
    (void)end_[w.to]->on_segment(*seg, now_);  // ResetPeer is the stack's job; dropping it is a lost RST
  }

  void random_step(bool impaired) {
    int who = int(rng_() % 2);
    switch (rng_() % 8) {
      case 0:
      case 1: {  // write
        if (written_[who].size() > 400000) break;
        std::vector<uint8_t> d(1 + rng_() % 6000);
        for (auto& b : d) b = uint8_t(rng_());
        size_t n = end_[who]->write(Bytes(d.data(), d.size()));
        written_[who].insert(written_[who].end(), d.begin(), d.begin() + long(n));
        break;
      }
      case 2: {  // read
        uint8_t buf[8192];
        size_t n = end_[who]->read(MutBytes(buf, 1 + rng_() % sizeof(buf)));
        read_[who].insert(read_[who].end(), buf, buf + n);
        break;
      }
      case 3:
      case 4:
      case 5:  // deliver, maybe out of order
        if (!q_.empty()) deliver(impaired && rng_() % 4 == 0 ? rng_() % q_.size() : 0);
        break;
      case 6:  // lose or duplicate
        if (!q_.empty() && impaired) {
          if (rng_() % 2) q_.erase(q_.begin() + long(rng_() % q_.size()));
          else q_.push_back(q_[rng_() % q_.size()]);
        }
        break;
      case 7:  // time passes
        now_ += rng_() % 400;
        end_[0]->on_tick(now_);
        end_[1]->on_tick(now_);
        break;
    }
    pump(0);
    pump(1);
    check();
  }

  void check() {
    for (int i = 0; i < 2; ++i) {
      S s = end_[i]->state();
      if (s != prev_[i]) {
        EXPECT_TRUE(LEGAL.count({prev_[i], s})) << tcp_state_name(prev_[i]) << " -> " << tcp_state_name(s);
        prev_[i] = s;
      }
      // What i has read is a prefix of what the other side wrote.
      ASSERT_LE(read_[i].size(), written_[1 - i].size());
      ASSERT_TRUE(std::equal(read_[i].begin(), read_[i].end(), written_[1 - i].begin()));
      ASSERT_LE(end_[i]->readable(), TCP_RX_BUFFER);
      ASSERT_LE(end_[i]->unacked(), TCP_TX_BUFFER + 1);
    }
  }

  // Perfect link from here: both sides drain, shut down and close.
  void finish() {
    for (int round = 0; round < 200000; ++round) {
      for (int i = 0; i < 2; ++i) {
        uint8_t buf[8192];
        while (size_t n = end_[i]->read(MutBytes(buf, sizeof(buf)))) read_[i].insert(read_[i].end(), buf, buf + n);
        if (end_[i]->writable() && end_[i]->send_space() == TCP_TX_BUFFER && end_[i]->unacked() == 0) end_[i]->shutdown();
        if (end_[i]->eof() && end_[i]->state() == S::CloseWait) end_[i]->shutdown();
        check();  // observe the shutdown transition on its own
      }
      pump(0);
      pump(1);
      if (!q_.empty()) {
        deliver(0);
      } else {
        now_ += 50;
        end_[0]->on_tick(now_);
        end_[1]->on_tick(now_);
      }
      check();
      if (end_[0]->state() == S::Closed && end_[1]->state() == S::Closed && q_.empty()) break;
    }
  }

  std::unique_ptr<TcpConnection> end_[2];
  std::vector<uint8_t> written_[2], read_[2];

 private:
  static constexpr Ip4 IP[2] = {ip4(10, 0, 0, 1), ip4(10, 0, 0, 2)};
  std::mt19937 rng_;
  std::deque<Wire> q_;
  uint64_t now_ = 1000;
  S prev_[2];
};

TEST(TcpModel, RandomOperationsKeepInvariantsAndCloseCleanly) {
  int completed = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(seed);
    Model m(seed);
    for (int i = 0; i < 3000; ++i) {
      m.random_step(/*impaired=*/seed % 4 != 0);
      if (HasFatalFailure()) return;
    }
    m.finish();
    if (HasFatalFailure()) return;
    bool reset = m.end_[0]->end_reason() == TcpEnd::Reset || m.end_[1]->end_reason() == TcpEnd::Reset ||
                 m.end_[0]->end_reason() == TcpEnd::TimedOut || m.end_[1]->end_reason() == TcpEnd::TimedOut;
    EXPECT_EQ(m.end_[0]->state(), S::Closed);
    EXPECT_EQ(m.end_[1]->state(), S::Closed);
    if (!reset) {
      // A clean close delivered every byte both ways.
      EXPECT_EQ(m.read_[0], m.written_[1]);
      EXPECT_EQ(m.read_[1], m.written_[0]);
      ++completed;
    }
  }
  EXPECT_GT(completed, 30);  // loss may time a few out; most runs must finish cleanly
}

}  // namespace
}  // namespace capos::net::test
