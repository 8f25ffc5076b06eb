// A simulated Ethernet segment for host tests of lib/net: two stacks
// (A = 10.0.0.1, B = 10.0.0.2) joined by a link that loses, duplicates,
// corrupts and reorders frames with a deterministic seed, and a virtual
// millisecond clock that jumps to the next delivery or timer.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "lib/net/stack.h"

namespace capos::net::test {

struct Impairment {
  double loss = 0, duplicate = 0, corrupt = 0, reorder = 0;
  uint32_t latency_ms = 1;
};

constexpr Mac MAC_A = {{0x52, 0x54, 0, 0, 0, 0xA}};
constexpr Mac MAC_B = {{0x52, 0x54, 0, 0, 0, 0xB}};
constexpr Ip4 IP_A = ip4(10, 0, 0, 1);
constexpr Ip4 IP_B = ip4(10, 0, 0, 2);

struct InFlight {
  uint64_t at;
  int to;  // 0 = A, 1 = B
  std::vector<uint8_t> bytes;
};

class SimLink {
 public:
  SimLink(uint32_t seed, Impairment imp, TcpTuning tuning = TcpTuning{})
      : rng_(seed), imp_(imp),
        a_(std::make_unique<Stack>(MAC_A, tuning, 0x1111 + seed)),
        b_(std::make_unique<Stack>(MAC_B, tuning, 0x2222 + seed)) {
    a_->configure(IP_A, 24, 0, 0);
    b_->configure(IP_B, 24, 0, 0);
  }

  Stack& a() { return *a_; }
  Stack& b() { return *b_; }
  uint64_t now() const { return now_; }
  uint64_t delivered() const { return delivered_; }
  // Frames a test injects as if sent by the peer of `to` (0 = A, 1 = B).
  void inject(int to, std::vector<uint8_t> frame) { flight_.push_back({now_, to, std::move(frame)}); }
  // Frames stack A / B sent, observed before impairment (for assertions).
  std::vector<std::vector<uint8_t>>& sent_by(int who) { return who == 0 ? sent_a_ : sent_b_; }
  bool record = false;
  // Frames from this side are dropped silently (a peer that went away).
  bool mute[2] = {false, false};

  // Collects output from both stacks into the link.
  void collect() {
    uint8_t buf[ETH_MAX_FRAME];
    for (int who = 0; who < 2; ++who) {
      Stack& s = who == 0 ? *a_ : *b_;
      while (true) {
        auto n = s.pop_frame(MutBytes(buf, sizeof(buf)));
        if (!n.ok()) break;
        std::vector<uint8_t> f(buf, buf + *n);
        if (record) sent_by(who).push_back(f);
        if (mute[who]) continue;
        send(1 - who, std::move(f));
      }
    }
  }

  // Advances the clock to the next event and handles it; false when
  // nothing is scheduled.
  bool step() {
    collect();
    uint64_t next = UINT64_MAX;
    for (auto& f : flight_) next = std::min(next, f.at);
    for (Stack* s : {a_.get(), b_.get()}) {
      uint64_t d = s->next_deadline();
      if (d) next = std::min(next, d);
    }
    if (next == UINT64_MAX) return false;
    if (next > now_) now_ = next;
    for (size_t i = 0; i < flight_.size();) {
      if (flight_[i].at <= now_) {
        InFlight f = std::move(flight_[i]);
        flight_.erase(flight_.begin() + long(i));
        ++delivered_;
        (f.to == 0 ? *a_ : *b_).receive_frame(Bytes(f.bytes.data(), f.bytes.size()), now_);
      } else {
        ++i;
      }
    }
    a_->tick(now_);
    b_->tick(now_);
    collect();
    return true;
  }

  // Runs until `done()` or the virtual clock passes `limit_ms`.
  template <class F> bool run_until(F done, uint64_t limit_ms) {
    uint64_t end = now_ + limit_ms;
    while (!done()) {
      if (now_ > end) return false;
      if (!step()) {
        if (done()) return true;
        now_ += 1;  // idle: let the application callback make progress
        a_->tick(now_);
        b_->tick(now_);
      }
    }
    return true;
  }

 private:
  void send(int to, std::vector<uint8_t> f) {
    std::uniform_real_distribution<double> u(0, 1);
    if (u(rng_) < imp_.loss) return;
    if (u(rng_) < imp_.corrupt && !f.empty()) f[rng_() % f.size()] ^= uint8_t(1 + rng_() % 255);
    uint64_t at = now_ + imp_.latency_ms;
    if (u(rng_) < imp_.reorder) at += 1 + rng_() % 5;
    if (u(rng_) < imp_.duplicate) flight_.push_back({at + 1, to, f});
    flight_.push_back({at, to, std::move(f)});
  }

  std::mt19937 rng_;
  Impairment imp_;
  std::unique_ptr<Stack> a_, b_;
  uint64_t now_ = 1;
  uint64_t delivered_ = 0;
  std::vector<InFlight> flight_;
  std::vector<std::vector<uint8_t>> sent_a_, sent_b_;
};

}  // namespace capos::net::test
