// The client's end of TcpSocket shared buffers (user/net/tcp_shared.h)
// against a fake netd over capnp::LoopbackTransport that moves bytes the
// way netd's pump does, a little per sync: every byte arrives in order
// both ways, the client wakes netd when netd said it is blocked, the end
// of the stream and a reset are seen only after the bytes before them,
// and an impossible index from netd is Corrupt without consuming anything.
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
    uint8_t buf[4096];
    size_t took = CAPOS_TRY(tx.pop(MutBytes(buf, per_sync < sizeof buf ? per_sync : sizeof buf)));
    received.append(reinterpret_cast<char*>(buf), took);
    size_t n = to_send.size() < per_sync ? to_send.size() : per_sync;
    size_t put = CAPOS_TRY(rx.push(Bytes(reinterpret_cast<const uint8_t*>(to_send.data()), n)));
    to_send.erase(0, put);
    __atomic_store_n(&rings->rx_blocked.value, to_send.empty() ? 0u : 1u, __ATOMIC_SEQ_CST);
    if (to_send.empty() && (eof_after || reset_after))
      rings->rx_end.value = static_cast<uint32_t>(eof_after ? net::StreamEnd::Eof : net::StreamEnd::Reset);
    return {};
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

}  // namespace
}  // namespace capos::net_client
