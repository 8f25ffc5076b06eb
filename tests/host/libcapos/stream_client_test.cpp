// The parent's end of a pipe to a child (user/libc/os/stream_client.h)
// against a fake child's ByteStream over capnp::LoopbackTransport: writes
// go in chunks of maxStreamChunkBytes, a child gone is end of file for a
// read and EPIPE (or a short count) for a write, and a child answering
// more than asked is EIO.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "user/libc/os/stream_client.h"

namespace capos::libc {
namespace {

namespace wire = schema::wire;

struct FakeChild final : wire::ByteStream::Server {
  std::string got, out;
  int writes = 0, closes = 0;
  int gone_after_writes = -1;  // the child exits after this many writes
  bool gone = false;
  uint32_t extra = 0, last_max = 0;

  Status write(wire::ByteStream::WriteParams::Reader p, wire::ByteStream::WriteResults::Builder) override {
    if (gone || (gone_after_writes >= 0 && writes >= gone_after_writes)) return fail(Err::Disconnected);
    auto d = CAPOS_TRY(p.getData());
    if (d.size() == 0 || d.size() > wire::MAX_STREAM_CHUNK_BYTES) return fail(Err::InvalidArgument);
    ++writes;
    got.append(reinterpret_cast<const char*>(d.data()), d.size());
    return {};
  }
  Status read(wire::ByteStream::ReadParams::Reader p, wire::ByteStream::ReadResults::Builder r) override {
    if (gone) return fail(Err::Disconnected);
    last_max = p.getMaxBytes();
    size_t n = std::min<size_t>(out.size(), last_max + extra);
    CAPOS_TRY_STATUS(r.setData(Bytes(reinterpret_cast<const uint8_t*>(out.data()), n)));
    out.erase(0, n);
    return {};
  }
  Status close(wire::ByteStream::CloseParams::Reader, wire::ByteStream::CloseResults::Builder) override {
    ++closes;
    return {};
  }
};

struct Rig {
  FakeChild child;
  capnp::Server* table[2] = {nullptr, &child};
  std::vector<uint8_t> scratch = std::vector<uint8_t>(1 << 15);
  capnp::LoopbackTransport t{Span<capnp::Server*>(table, 2), MutBytes(scratch.data(), scratch.size())};
  std::unique_ptr<StreamCallBuffers> b = std::make_unique<StreamCallBuffers>();
};

TEST(StreamClient, WriteInChunksThenClose) {
  Rig rig;
  std::string data(10000, 'q');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('A' + i % 26);
  auto r = bytestream_write(rig.t, 1, *rig.b, reinterpret_cast<const uint8_t*>(data.data()), data.size());
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, data.size());
  EXPECT_EQ(rig.child.got, data);
  EXPECT_EQ(rig.child.writes, 3);  // 4096 + 4096 + 1808
  bytestream_close(rig.t, 1, *rig.b);
  EXPECT_EQ(rig.child.closes, 1);
}

TEST(StreamClient, AChildGoneIsEofOrEpipe) {
  Rig rig;
  std::string data(9000, 'x');
  const uint8_t* p = reinterpret_cast<const uint8_t*>(data.data());
  rig.child.gone_after_writes = 1;
  auto shortw = bytestream_write(rig.t, 1, *rig.b, p, data.size());
  ASSERT_TRUE(shortw);
  EXPECT_EQ(*shortw, wire::MAX_STREAM_CHUNK_BYTES);  // what went in before it left
  auto pipe = bytestream_write(rig.t, 1, *rig.b, p, 10);
  ASSERT_FALSE(pipe);
  EXPECT_EQ(pipe.error(), CAPOS_EPIPE);
  rig.child.gone = true;
  uint8_t buf[16];
  auto eof = bytestream_read(rig.t, 1, *rig.b, buf, sizeof buf);
  ASSERT_TRUE(eof);
  EXPECT_EQ(*eof, 0u);
  bytestream_close(rig.t, 1, *rig.b);  // a child already gone is fine
}

TEST(StreamClient, ReadAsksForWhatFitsAndRefusesMore) {
  Rig rig;
  rig.child.out = "upper-cased output";
  uint8_t buf[5];
  auto r = bytestream_read(rig.t, 1, *rig.b, buf, sizeof buf);
  ASSERT_TRUE(r);
  EXPECT_EQ(rig.child.last_max, 5u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), *r), "upper");
  std::vector<uint8_t> big(50000);
  auto rest = bytestream_read(rig.t, 1, *rig.b, big.data(), big.size());
  ASSERT_TRUE(rest);
  EXPECT_EQ(rig.child.last_max, wire::MAX_STREAM_CHUNK_BYTES);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(big.data()), *rest), "-cased output");
  rig.child.out = std::string(100, 'y');
  rig.child.extra = 1;
  auto bad = bytestream_read(rig.t, 1, *rig.b, buf, sizeof buf);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), CAPOS_EIO);
}

}  // namespace
}  // namespace capos::libc
