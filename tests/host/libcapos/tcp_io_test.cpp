// The socket fds' byte transfer (user/libc/os/tcp_io.h) against a fake
// TcpSocket over capnp::LoopbackTransport: partial writes are offered
// again until every byte is in, reads ask for at most what fits, a
// failure maps to the errno POSIX gives, and a reply that breaks the
// contract (accepting 0 or more than offered, more data than asked) is
// EIO rather than trusted.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "schema/net.capnp.capos.h"
#include "user/libc/os/tcp_io.h"

namespace capos::libc {
namespace {

namespace wire = schema::wire;

struct FakeSocket final : wire::TcpSocket::Server {
  std::string received;         // bytes written so far
  std::string to_send;          // bytes read() hands out
  uint32_t accept_max = 1u << 30;  // write: accept at most this much per call
  uint32_t accept_exact = 0;    // write: if non-zero, claim this many (misbehaving)
  int fail_write_after = -1;    // write: fail from this call on
  Err write_error = Err::Disconnected;
  bool eof = false;
  bool fail_read = false;
  uint32_t extra = 0;           // read: this many bytes more than asked (misbehaving)
  int writes = 0;
  uint32_t last_max = 0;

  Status write(wire::TcpSocket::WriteParams::Reader p, wire::TcpSocket::WriteResults::Builder r) override {
    if (fail_write_after >= 0 && writes >= fail_write_after) return fail(write_error);
    ++writes;
    auto d = CAPOS_TRY(p.getData());
    uint32_t take = static_cast<uint32_t>(d.size()) < accept_max ? static_cast<uint32_t>(d.size()) : accept_max;
    received.append(reinterpret_cast<const char*>(d.data()), take);
    r.setAccepted(accept_exact ? accept_exact : take);
    return {};
  }

  Status read(wire::TcpSocket::ReadParams::Reader p, wire::TcpSocket::ReadResults::Builder r) override {
    if (fail_read) return fail(Err::Disconnected);
    last_max = p.getMaxBytes();
    if (to_send.empty() && eof) {
      r.setEof(true);
      return {};
    }
    size_t n = std::min<size_t>(to_send.size(), last_max + extra);
    CAPOS_TRY_STATUS(r.setData(Bytes(reinterpret_cast<const uint8_t*>(to_send.data()), n)));
    to_send.erase(0, n);
    return {};
  }
};

struct Rig {
  FakeSocket sock;
  capnp::Server* table[2] = {nullptr, &sock};
  std::vector<uint8_t> scratch = std::vector<uint8_t>(1 << 16);
  capnp::LoopbackTransport t{Span<capnp::Server*>(table, 2), MutBytes(scratch.data(), scratch.size())};
};

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i * 7 % 26);
  return s;
}

TEST(TcpIo, WriteOffersTheRestAgainUntilEveryByteIsIn) {
  Rig rig;
  rig.sock.accept_max = 700;
  std::string out = pattern(10000);
  auto r = tcp_write(rig.t, 1, reinterpret_cast<const uint8_t*>(out.data()), out.size());
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, out.size());
  EXPECT_EQ(rig.sock.received, out);
  EXPECT_EQ(rig.sock.writes, (10000 + 699) / 700);
}

TEST(TcpIo, WriteInChunksOfAtMost4KiB) {
  Rig rig;
  std::string out = pattern(3 * kTcpChunk + 5);
  auto r = tcp_write(rig.t, 1, reinterpret_cast<const uint8_t*>(out.data()), out.size());
  ASSERT_TRUE(r);
  EXPECT_EQ(rig.sock.received, out);
  EXPECT_EQ(rig.sock.writes, 4);
}

TEST(TcpIo, WriteFailuresMapToErrno) {
  std::string out = pattern(3 * kTcpChunk);
  const uint8_t* p = reinterpret_cast<const uint8_t*>(out.data());
  {
    Rig rig;  // reset after two chunks: a short count, the next write reports it
    rig.sock.fail_write_after = 2;
    auto r = tcp_write(rig.t, 1, p, out.size());
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 2 * kTcpChunk);
    auto again = tcp_write(rig.t, 1, p, 10);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), CAPOS_ECONNRESET);
  }
  {
    Rig rig;  // netd refuses writes after shutdown: invalidArgument
    rig.sock.fail_write_after = 0;
    rig.sock.write_error = Err::InvalidArgument;
    auto r = tcp_write(rig.t, 1, p, 10);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), CAPOS_EPIPE);
  }
  for (uint32_t bogus : {0u, 11u}) {
    Rig rig;  // a reply accepting nothing, or more than offered
    rig.sock.accept_max = 0;
    rig.sock.accept_exact = bogus;
    auto r = tcp_write(rig.t, 1, p, 10);
    ASSERT_FALSE(r) << bogus;
    EXPECT_EQ(r.error(), CAPOS_EIO) << bogus;
  }
}

TEST(TcpIo, ReadAsksForWhatFitsAndSeesEndOfStream) {
  Rig rig;
  rig.sock.to_send = "hello, sockets";
  rig.sock.eof = true;
  uint8_t buf[5];
  auto r = tcp_read(rig.t, 1, buf, sizeof buf);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 5u);
  EXPECT_EQ(rig.sock.last_max, 5u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 5), "hello");
  std::vector<uint8_t> big(100000);
  auto rest = tcp_read(rig.t, 1, big.data(), big.size());
  ASSERT_TRUE(rest);
  EXPECT_EQ(rig.sock.last_max, kTcpChunk);  // never more than one chunk per call
  EXPECT_EQ(std::string(reinterpret_cast<char*>(big.data()), *rest), ", sockets");
  auto end = tcp_read(rig.t, 1, big.data(), big.size());
  ASSERT_TRUE(end);
  EXPECT_EQ(*end, 0u);
  auto zero = tcp_read(rig.t, 1, big.data(), 0);
  ASSERT_TRUE(zero);
  EXPECT_EQ(*zero, 0u);
}

TEST(TcpIo, ReadFailuresMapToErrno) {
  {
    Rig rig;
    rig.sock.fail_read = true;
    uint8_t buf[8];
    auto r = tcp_read(rig.t, 1, buf, sizeof buf);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), CAPOS_ECONNRESET);
  }
  {
    Rig rig;  // more data than asked for: not copied past the buffer
    rig.sock.to_send = std::string(64, 'x');
    rig.sock.extra = 3;
    uint8_t buf[8] = {};
    auto r = tcp_read(rig.t, 1, buf, sizeof buf);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), CAPOS_EIO);
  }
}

}  // namespace
}  // namespace capos::libc
