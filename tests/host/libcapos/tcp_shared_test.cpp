// The client's end of TcpSocket shared buffers (user/net/tcp_shared.h)
// against a fake netd over capnp::LoopbackTransport that moves bytes the
// way netd's pump does, a little per sync: every byte arrives in order
// both ways, the client wakes netd when netd said it is blocked, the end
// of the stream and a reset are seen only after the bytes before them,
// and an impossible index from netd is Corrupt without consuming anything.
// With a SyncArm (a write's wake-up that is also the next read's wait), a
// request/response takes one armed sync and no other call.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "schema/net.capnp.capos.h"
#include "user/net/tcp_shared.h"

namespace capos::net_client {
namespace {

namespace wire = schema::wire;

struct FakeNetd final : wire::TcpSocket::Server {
  std::unique_ptr<net::StreamRings> rings{new net::StreamRings{}};
  net::StreamProducer rx;
  net::StreamConsumer tx;
  std::string to_send;   // what the peer sent us, not yet in rx
  std::string received;  // what the client wrote, taken from tx
  size_t per_sync = 1000;  // bytes moved each way per sync
  bool eof_after = false;
  bool reset_after = false;
  bool fail_sync = false;
  bool echo = false;  // the peer answers every byte it gets with the same byte
  bool held = false, held_answered = false;  // an armed sync netd holds, answered once rx has bytes or the end
  int syncs = 0, kicks = 0;

  FakeNetd() {
    net::init_stream_rings(*rings);
    rx = net::StreamProducer::rx(*rings);
    tx = net::StreamConsumer::tx(*rings);
  }

  Status sync(wire::TcpSocket::SyncParams::Reader p, wire::TcpSocket::SyncResults::Builder) override {
    if (fail_sync) return fail(Err::Disconnected);
    ++syncs;
    if (!p.getWaitReadable() && !p.getWaitWritable()) ++kicks;
    return pump();
  }

  // What netd does on every pass: takes tx, fills rx.
  Status pump() {
    uint8_t buf[4096];
    size_t took = CAPOS_TRY(tx.pop(MutBytes(buf, per_sync < sizeof buf ? per_sync : sizeof buf)));
    received.append(reinterpret_cast<char*>(buf), took);
    if (echo) to_send.append(reinterpret_cast<char*>(buf), took);
    size_t n = to_send.size() < per_sync ? to_send.size() : per_sync;
    size_t put = CAPOS_TRY(rx.push(Bytes(reinterpret_cast<const uint8_t*>(to_send.data()), n)));
    to_send.erase(0, put);
    __atomic_store_n(&rings->rx_blocked.value, to_send.empty() ? 0u : 1u, __ATOMIC_SEQ_CST);
    if (to_send.empty() && (eof_after || reset_after))
      rings->rx_end.value = static_cast<uint32_t>(eof_after ? net::StreamEnd::Eof : net::StreamEnd::Reset);
    auto q = rx.queued();
    if (held && (!q.ok() || *q > 0 || rings->rx_end.value != 0)) held_answered = true;
    return {};
  }
};

// A sync(waitReadable) netd holds: taken with the bytes written before
// it, answered once rx has bytes (or the end).
struct FakeArm final : SyncArm {
  FakeNetd& netd;
  int arms = 0;
  explicit FakeArm(FakeNetd& n) : netd(n) {}
  Status arm(uint64_t) override {
    if (netd.held) return fail(Err::Busy);
    netd.held = true;
    netd.held_answered = false;
    ++arms;
    return netd.pump();
  }
  bool armed() const override { return netd.held; }
  Status answer() {
    netd.held = false;
    if (netd.fail_sync) return fail(Err::Disconnected);
    return {};
  }
  Result<bool> reap() override {
    if (!netd.held || !netd.held_answered) return false;
    CAPOS_TRY_STATUS(answer());
    return true;
  }
  Status wait() override {
    for (int i = 0; i < 1000 && netd.held && !netd.held_answered && !netd.fail_sync; ++i)
      CAPOS_TRY_STATUS(netd.pump());  // netd's passes
    if (!netd.held) return {};
    return answer();
  }
};

struct Rig {
  FakeNetd netd;
  capnp::Server* table[2] = {nullptr, &netd};
  std::vector<uint8_t> scratch = std::vector<uint8_t>(1 << 16);
  capnp::LoopbackTransport t{Span<capnp::Server*>(table, 2), MutBytes(scratch.data(), scratch.size())};
  TcpShared client{t, 1, *netd.rings};
};

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i * 7 % 26 + i / 5000 % 3);
  return s;
}

std::string read_all(Rig& rig, size_t want, size_t chunk) {
  std::string got;
  std::vector<uint8_t> buf(chunk);
  while (got.size() < want) {
    auto n = rig.client.read(MutBytes(buf.data(), buf.size()));
    if (!n || *n == 0) break;
    got.append(reinterpret_cast<char*>(buf.data()), *n);
  }
  return got;
}

TEST(TcpShared, ReadsEveryByteInOrderAcrossTheWrap) {
  Rig rig;
  std::string in = pattern(300000);
  rig.netd.to_send = in;
  rig.netd.per_sync = 70000;  // more than the ring: netd is blocked and says so
  EXPECT_EQ(read_all(rig, in.size(), 3000), in);
  EXPECT_GT(rig.netd.kicks, 0) << "the client woke netd after freeing room";
}

TEST(TcpShared, WritesEveryByteWaitingForRoom) {
  Rig rig;
  std::string out = pattern(200000);
  rig.netd.per_sync = 4096;  // netd takes less than is offered
  ASSERT_TRUE(rig.client.write(Bytes(reinterpret_cast<const uint8_t*>(out.data()), out.size())));
  while (rig.netd.received.size() < out.size()) {
    alignas(8) uint8_t pbuf[64];
    capnp::FixedMessageBuilder params(MutBytes(pbuf, sizeof pbuf));
    ASSERT_TRUE(wire::TcpSocket::Client::syncParams(params));
    alignas(8) uint8_t rbuf[64];
    capnp::Response resp(MutBytes(rbuf, sizeof rbuf));
    ASSERT_TRUE(wire::TcpSocket::Client(&rig.t, capnp::Cap<wire::TcpSocket>::unchecked(1)).sync(params, resp));
  }
  EXPECT_EQ(rig.netd.received, out);
}

TEST(TcpShared, EndOfStreamComesAfterTheLastByte) {
  Rig rig;
  rig.netd.to_send = pattern(5000);
  rig.netd.eof_after = true;
  EXPECT_EQ(read_all(rig, 5000, 700), pattern(5000));
  uint8_t b[10];
  auto n = rig.client.read(MutBytes(b, sizeof b));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(TcpShared, ResetIsDisconnectedAfterTheBytesBeforeIt) {
  Rig rig;
  rig.netd.to_send = pattern(2000);
  rig.netd.reset_after = true;
  rig.netd.per_sync = 5000;
  uint8_t b[4096];
  auto n = rig.client.read(MutBytes(b, sizeof b));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2000u);
  auto r = rig.client.read(MutBytes(b, sizeof b));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Err::Disconnected);
}

TEST(TcpShared, ImpossibleIndexFromNetdIsCorruptAndConsumesNothing) {
  Rig rig;
  rig.netd.rings->rx_tail.value = net::STREAM_RING_BYTES + 5;
  uint8_t b[100];
  auto r = rig.client.read(MutBytes(b, sizeof b));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Err::Corrupt);
  EXPECT_EQ(rig.netd.rings->rx_head.value, 0u);
  rig.netd.rings->tx_head.value = 7;  // frees bytes never written
  auto w = rig.client.write(Bytes(b, 10));
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error(), Err::Corrupt);
  EXPECT_EQ(rig.netd.rings->tx_tail.value, 0u);
}

TEST(TcpShared, FailedSyncIsReported) {
  Rig rig;
  rig.netd.fail_sync = true;
  uint8_t b[10] = {};
  auto r = rig.client.read(MutBytes(b, sizeof b));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Err::Disconnected);
  EXPECT_FALSE(rig.client.write(Bytes(b, sizeof b)));
}

struct ArmedRig {
  FakeNetd netd;
  FakeArm arm{netd};
  capnp::Server* table[2] = {nullptr, &netd};
  std::vector<uint8_t> scratch = std::vector<uint8_t>(1 << 16);
  capnp::LoopbackTransport t{Span<capnp::Server*>(table, 2), MutBytes(scratch.data(), scratch.size())};
  TcpShared client{t, 1, *netd.rings, nullptr, nullptr, &arm};
};

TEST(TcpShared, RequestResponseTakesOneArmedSyncPerTrip) {
  ArmedRig rig;
  rig.netd.echo = true;
  for (int i = 0; i < 300; ++i) {  // 300 x 64 bytes: the rings wrap
    std::string req = pattern(64 + i).substr(i, 64);
    ASSERT_TRUE(rig.client.write(Bytes(reinterpret_cast<const uint8_t*>(req.data()), req.size())));
    std::string got;
    uint8_t b[64];
    while (got.size() < 64) {
      auto n = rig.client.read(MutBytes(b, 64 - got.size()));
      ASSERT_TRUE(n && *n > 0);
      got.append(reinterpret_cast<char*>(b), *n);
    }
    ASSERT_EQ(got, req) << i;
  }
  EXPECT_EQ(rig.arm.arms, 300);
  EXPECT_EQ(rig.netd.syncs, 0) << "no other call";
}

TEST(TcpShared, WriteWhileArmedWakesNetdAndKeepsOrder) {
  ArmedRig rig;
  std::string a = pattern(100), b = pattern(300).substr(100, 200);
  ASSERT_TRUE(rig.client.write(Bytes(reinterpret_cast<const uint8_t*>(a.data()), a.size())));
  // Nothing came back: the armed sync is still held, so the next write's
  // bytes need a plain sync to wake netd.
  ASSERT_TRUE(rig.client.write(Bytes(reinterpret_cast<const uint8_t*>(b.data()), b.size())));
  EXPECT_EQ(rig.arm.arms, 1);
  EXPECT_EQ(rig.netd.kicks, 1);
  EXPECT_EQ(rig.netd.received, a + b);
  // The answer to the armed sync is taken by the read that waits.
  rig.netd.to_send = "ok";
  uint8_t r[8];
  auto n = rig.client.read(MutBytes(r, sizeof r));
  ASSERT_TRUE(n);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(r), *n), "ok");
  EXPECT_FALSE(rig.arm.armed());
}

TEST(TcpShared, ArmedSyncRefusedIsReported) {
  ArmedRig rig;
  uint8_t b[10] = {};
  ASSERT_TRUE(rig.client.write(Bytes(b, sizeof b)));
  rig.netd.fail_sync = true;  // the connection was reset while the client waited
  auto r = rig.client.read(MutBytes(b, sizeof b));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), Err::Disconnected);
}

}  // namespace
}  // namespace capos::net_client
