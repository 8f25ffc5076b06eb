// TCP over the simulated link: handshake, bulk transfer both ways and
// orderly close, with loss, duplication, corruption and reordering from
// fixed seeds. Every byte must arrive exactly once and in order.
#include <gtest/gtest.h>

#include "tests/host/net/sim_link.h"

namespace capos::net::test {
namespace {

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 r(seed);
  for (auto& b : v) b = uint8_t(r());
  return v;
}

struct Pair {
  NetHandle client, server;
};

Pair connect(SimLink& link, uint16_t port = 7) {
  auto l = link.b().tcp_listen(port, 4);
  EXPECT_TRUE(l.ok());
  auto c = link.a().tcp_connect(IP_B, port, link.now());
  EXPECT_TRUE(c.ok());
  link.a().flush(link.now());
  NetHandle server{};
  bool ok = link.run_until([&] {
    auto s = link.b().tcp_accept(*l);
    if (s.ok()) server = *s;
    return s.ok() && (*link.a().tcp(*c))->state() == TcpState::Established;
  }, 60000);
  EXPECT_TRUE(ok);
  return Pair{*c, server};
}

// Moves `data` from `from` to `to` through the link; returns what arrived.
std::vector<uint8_t> transfer(SimLink& link, Stack& from, NetHandle fh, Stack& to, NetHandle th,
                              const std::vector<uint8_t>& data, bool close_after) {
  size_t sent = 0;
  std::vector<uint8_t> got;
  bool closed = false;
  uint8_t buf[4096];
  link.run_until([&] {
    TcpConnection* w = *from.tcp(fh);
    TcpConnection* r = *to.tcp(th);
    if (sent < data.size()) sent += w->write(Bytes(data.data() + sent, data.size() - sent));
    if (sent == data.size() && close_after && !closed) {
      w->shutdown();
      closed = true;
    }
    from.flush(link.now());
    while (size_t n = r->read(MutBytes(buf, sizeof(buf)))) got.insert(got.end(), buf, buf + n);
    to.flush(link.now());
    return got.size() == data.size() && (!close_after || r->eof());
  }, 600000);
  return got;
}

struct Case {
  uint32_t seed;
  Impairment imp;
};

class TcpImpaired : public ::testing::TestWithParam<Case> {};

TEST_P(TcpImpaired, BulkBothWaysThenClose) {
  SimLink link(GetParam().seed, GetParam().imp);
  Pair p = connect(link);
  auto up = pattern(300000, GetParam().seed);
  auto down = pattern(120000, GetParam().seed + 1);
  EXPECT_EQ(transfer(link, link.a(), p.client, link.b(), p.server, up, false), up);
  EXPECT_EQ(transfer(link, link.b(), p.server, link.a(), p.client, down, true), down);
  // A saw the server's FIN; now A closes too.
  (*link.a().tcp(p.client))->shutdown();
  link.a().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return (*link.b().tcp(p.server))->state() == TcpState::Closed; }, 120000));
  EXPECT_EQ((*link.b().tcp(p.server))->end_reason(), TcpEnd::Closed);
  // Under loss A may still be in LAST-ACK: B's ACK of A's FIN was lost
  // and A's backed-off retransmission is due after B's bounded TIME-WAIT
  // (2 s) ended. The RST B then answers ends it (checked below).
  TcpState a_state = (*link.a().tcp(p.client))->state();
  bool lossy = GetParam().imp.loss > 0;
  EXPECT_TRUE(a_state == TcpState::TimeWait || a_state == TcpState::Closed || (lossy && a_state == TcpState::LastAck))
      << tcp_state_name(a_state);
  link.a().tcp_release(p.client);
  link.b().tcp_release(p.server);
  // TIME_WAIT is bounded: after it, no connection is left.
  link.run_until([&] { return link.a().tcp_open_count() == 0; }, 10000);
  EXPECT_EQ(link.a().tcp_open_count(), 0u);
  EXPECT_EQ(link.b().tcp_open_count(), 0u);
  if (GetParam().imp.loss > 0) EXPECT_GT(link.a().stats().retransmits + link.b().stats().retransmits, 0u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, TcpImpaired, ::testing::Values(
    Case{1, {}},
    Case{2, {0.02, 0, 0, 0, 2}},
    Case{3, {0.05, 0.02, 0.02, 0.1, 3}},
    Case{4, {0, 0.1, 0, 0.3, 1}},
    Case{5, {0.1, 0.05, 0.05, 0.2, 5}},
    Case{6, {0, 0, 0.1, 0, 1}}));

TEST(Tcp, ConnectToClosedPortIsRefused) {
  SimLink link(7, {});
  auto c = link.a().tcp_connect(IP_B, 9, link.now());
  ASSERT_TRUE(c.ok());
  link.a().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return (*link.a().tcp(*c))->state() == TcpState::Closed; }, 5000));
  EXPECT_EQ((*link.a().tcp(*c))->end_reason(), TcpEnd::Refused);
  EXPECT_EQ(link.b().stats().no_listener, 1u);
}

TEST(Tcp, SilentPeerTimesOutWithBackoff) {
  SimLink link(8, {});
  link.mute[1] = true;  // B never answers
  auto c = link.a().tcp_connect(IP_B, 7, link.now());
  ASSERT_TRUE(c.ok());
  link.a().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return (*link.a().tcp(*c))->state() == TcpState::Closed; }, 120000));
  EXPECT_EQ((*link.a().tcp(*c))->end_reason(), TcpEnd::TimedOut);
}

TEST(Tcp, DeadPeerMidTransferTimesOut) {
  SimLink link(9, {});
  Pair p = connect(link);
  link.mute[1] = true;
  std::vector<uint8_t> data(5000, 7);
  (*link.a().tcp(p.client))->write(Bytes(data.data(), data.size()));
  link.a().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return (*link.a().tcp(p.client))->state() == TcpState::Closed; }, 400000));
  EXPECT_EQ((*link.a().tcp(p.client))->end_reason(), TcpEnd::TimedOut);
  EXPECT_GE((*link.a().tcp(p.client))->retransmits(), 8u);
}

TEST(Tcp, ResetAbortsPeer) {
  SimLink link(10, {});
  Pair p = connect(link);
  (*link.b().tcp(p.server))->abort();
  link.b().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return (*link.a().tcp(p.client))->state() == TcpState::Closed; }, 5000));
  EXPECT_EQ((*link.a().tcp(p.client))->end_reason(), TcpEnd::Reset);
}

TEST(Tcp, RttEstimateFollowsLatency) {
  SimLink link(11, {0, 0, 0, 0, 40});
  Pair p = connect(link);
  std::vector<uint8_t> data(50000, 1);
  EXPECT_EQ(transfer(link, link.a(), p.client, link.b(), p.server, data, false).size(), data.size());
  TcpConnection* c = *link.a().tcp(p.client);
  // Round trip is 80 ms (plus queueing behind the window): SRTT near it, RTO above it and at least rto_min.
  EXPECT_GE(c->srtt_ms(), 70u);
  EXPECT_LE(c->srtt_ms(), 200u);
  EXPECT_GE(c->rto_ms(), c->srtt_ms());
  EXPECT_GE(c->rto_ms(), 200u);
}

// RFC 1122 4.2.3.2: a lone full-sized segment's ACK waits (at most
// delayed_ack_ms), the second full-sized one is acknowledged at once, and
// a small segment at once (request/response is not delayed).
TEST(Tcp, DelayedAckEverySecondFullSegment) {
  SimLink link(13, {});
  Pair p = connect(link);
  link.run_until([] { return false; }, 50);  // the handshake's last ACK is through
  link.record = true;
  TcpConnection* a = *link.a().tcp(p.client);
  TcpConnection* b = *link.b().tcp(p.server);
  std::vector<uint8_t> seg(1460, 7);
  auto send_and_wait = [&](size_t n, size_t total) {
    link.sent_by(1).clear();
    ASSERT_EQ(a->write(Bytes(seg.data(), n)), n);
    link.a().flush(link.now());
    ASSERT_TRUE(link.run_until([&] { return b->readable() == total; }, 1000));
  };
  send_and_wait(1460, 1460);
  EXPECT_EQ(link.sent_by(1).size(), 0u) << "a lone full segment's ACK waits";
  uint64_t got = link.now();
  ASSERT_TRUE(link.run_until([&] { return !link.sent_by(1).empty(); }, 100));
  EXPECT_LE(link.now() - got, TcpTuning{}.delayed_ack_ms);
  ASSERT_TRUE(link.run_until([&] { return a->unacked() == 0; }, 100));
  send_and_wait(1460, 2 * 1460);
  EXPECT_EQ(link.sent_by(1).size(), 0u);
  send_and_wait(1460, 3 * 1460);
  EXPECT_EQ(link.sent_by(1).size(), 1u) << "the second full segment is acknowledged at once";
  send_and_wait(10, 3 * 1460 + 10);
  EXPECT_EQ(link.sent_by(1).size(), 1u) << "a small segment is acknowledged at once";
}

TEST(Tcp, ReleasedWithUnreadDataResets) {
  SimLink link(12, {});
  Pair p = connect(link);
  uint8_t x[10] = {};
  (*link.a().tcp(p.client))->write(Bytes(x, 10));
  link.a().flush(link.now());
  link.run_until([&] { return (*link.b().tcp(p.server))->readable() == 10; }, 5000);
  link.b().tcp_release(p.server);
  link.b().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return (*link.a().tcp(p.client))->state() == TcpState::Closed; }, 5000));
  EXPECT_EQ((*link.a().tcp(p.client))->end_reason(), TcpEnd::Reset);
  EXPECT_FALSE(link.b().tcp(p.server).ok());  // the handle is gone
}

}  // namespace
}  // namespace capos::net::test
