// A hostile peer against lib/net: SYN floods, zero windows, segments
// outside the window and garbage frames must leave the stack alive,
// within its fixed tables, and back to idle within bounded time.
#include <gtest/gtest.h>

#include "tests/host/net/frames.h"
#include "tests/host/net/sim_link.h"

namespace capos::net::test {
namespace {

TEST(NetHostile, SynFloodIsBoundedInCountAndTime) {
  SimLink link(21, {});
  auto l = link.b().tcp_listen(80, 4);
  ASSERT_TRUE(l.ok());
  link.mute[1] = true;  // SYN-ACKs go nowhere (spoofed sources)
  for (uint32_t i = 0; i < 200; ++i) {
    TcpHeader h;
    h.src_port = uint16_t(1000 + i);
    h.dst_port = 80;
    h.seq = i * 7919;
    h.flags = TCP_SYN;
    h.window = 1000;
    h.mss = 1460;
    link.inject(1, tcp_frame(MAC_B, MAC_A, ip4(10, 0, 0, uint8_t(3 + i % 200)), IP_B, h));
  }
  link.step();
  EXPECT_LE(link.b().tcp_open_count(), 4u);
  EXPECT_EQ(link.b().stats().syn_dropped, 196u);
  // Half-open connections give up after their SYN-ACK retries.
  ASSERT_TRUE(link.run_until([&] { return link.b().tcp_open_count() == 0; }, 120000));
  EXPECT_LT(link.now(), 70000u);
  // The listener still works afterwards.
  link.mute[1] = false;
  auto c = link.a().tcp_connect(IP_B, 80, link.now());
  ASSERT_TRUE(c.ok());
  link.a().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return link.b().tcp_accept(*l).ok(); }, 10000));
}

TEST(NetHostile, ZeroWindowPeerBoundsSenderAndEventuallyDrops) {
  SimLink link(22, {});
  auto l = link.b().tcp_listen(7, 1);
  auto c = link.a().tcp_connect(IP_B, 7, link.now());
  link.a().flush(link.now());
  NetHandle s{};
  ASSERT_TRUE(link.run_until([&] {
    auto r = link.b().tcp_accept(*l);
    if (r.ok()) s = *r;
    return r.ok();
  }, 10000));
  // B never reads; A keeps writing: A's buffer and B's buffer fill, then writes stop being accepted.
  std::vector<uint8_t> chunk(8192, 0x5A);
  size_t total = 0;
  link.run_until([&] {
    total += (*link.a().tcp(*c))->write(Bytes(chunk.data(), chunk.size()));
    link.a().flush(link.now());
    return link.now() > 20000;
  }, 30000);
  EXPECT_EQ(total, TCP_RX_BUFFER + TCP_TX_BUFFER);
  EXPECT_EQ((*link.b().tcp(s))->readable(), TCP_RX_BUFFER);
  // A probes the zero window with backoff and finally gives up: bounded time.
  ASSERT_TRUE(link.run_until([&] { return (*link.a().tcp(*c))->state() == TcpState::Closed; }, 400000));
  EXPECT_EQ((*link.a().tcp(*c))->end_reason(), TcpEnd::TimedOut);
}

TEST(NetHostile, OutOfWindowSegmentsAreIgnoredWithChallengeAck) {
  SimLink link(23, {});
  auto l = link.b().tcp_listen(7, 1);
  auto c = link.a().tcp_connect(IP_B, 7, link.now());
  link.a().flush(link.now());
  NetHandle s{};
  ASSERT_TRUE(link.run_until([&] {
    auto r = link.b().tcp_accept(*l);
    if (r.ok()) s = *r;
    return r.ok();
  }, 10000));
  TcpConnection* server = *link.b().tcp(s);
  uint16_t cport = (*link.a().tcp(*c))->local_port();
  link.record = true;
  for (uint32_t i = 0; i < 50; ++i) {
    TcpHeader h;
    h.src_port = cport;
    h.dst_port = 7;
    h.seq = 0x80000000u + i * 100000;  // far outside the window
    h.ack = i * 3;
    h.flags = uint8_t(TCP_ACK | (i % 3 == 0 ? TCP_RST : 0) | (i % 5 == 0 ? TCP_SYN : 0));
    h.window = 100;
    link.inject(1, tcp_frame(MAC_B, MAC_A, IP_A, IP_B, h, std::vector<uint8_t>(100, 0xEE)));
  }
  link.step();
  EXPECT_EQ(server->state(), TcpState::Established);
  EXPECT_EQ(server->readable(), 0u);
  // Each non-RST segment drew an ACK; RSTs outside the window drew nothing.
  EXPECT_GT(link.sent_by(1).size(), 0u);
  // A real in-window exchange still works.
  uint8_t msg[5] = {'h', 'e', 'l', 'l', 'o'};
  (*link.a().tcp(*c))->write(Bytes(msg, 5));
  link.a().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return server->readable() == 5; }, 5000));
}

TEST(NetHostile, GarbageFramesAreCountedAndDropped) {
  SimLink link(24, {});
  std::mt19937 r(24);
  for (int i = 0; i < 500; ++i) {
    std::vector<uint8_t> f(r() % 200);
    for (auto& b : f) b = uint8_t(r());
    if (f.size() >= 14) {
      memcpy(f.data(), MAC_B.b, 6);
      f[12] = 0x08;
      f[13] = (i & 1) ? 0x06 : 0x00;
    }
    link.inject(1, f);
  }
  link.step();
  EXPECT_GT(link.b().stats().malformed, 400u);
  EXPECT_EQ(link.b().tcp_open_count(), 0u);
}

TEST(NetHostile, ArpFromStrangersDoesNotPoisonCache) {
  SimLink link(25, {});
  // An unsolicited ARP reply naming IP_A with a wrong MAC, aimed at another host.
  ArpPacket a{ARP_REPLY, Mac{{2, 2, 2, 2, 2, 2}}, IP_A, MAC_B, ip4(10, 0, 0, 99)};
  link.inject(1, arp_frame(MAC_BROADCAST, a));
  link.step();
  auto l = link.a().tcp_listen(7, 1);
  auto c = link.b().tcp_connect(IP_A, 7, link.now());
  link.b().flush(link.now());
  ASSERT_TRUE(link.run_until([&] { return link.a().tcp_accept(*l).ok(); }, 5000));
  EXPECT_TRUE(c.ok());
}

}  // namespace
}  // namespace capos::net::test
