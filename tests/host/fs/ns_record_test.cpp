// Namespace binding records (user/storage/ns_record.cpp): the checks fsd
// applies to a client's Binding and to a record read back from disk.
#include "user/storage/ns_record.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace capos;
using namespace capos::storage;
namespace wire = capos::schema::wire;

namespace {

struct Built {
  alignas(8) uint8_t buf[kNsRecordMax] = {};
  capnp::FixedMessageBuilder mb{MutBytes(buf, sizeof(buf))};
};

// A Binding as a client would send it, read back as a Reader.
wire::Binding::Reader make(Built& b, wire::BindingKind kind, std::vector<std::string> path, size_t key_len,
                           bool writable = false) {
  auto root = wire::Binding::initRoot(b.mb);
  EXPECT_TRUE(root.ok());
  root->setKind(kind);
  root->setWritable(writable);
  auto list = root->initPath(static_cast<uint32_t>(path.size()));
  EXPECT_TRUE(list.ok());
  for (uint32_t i = 0; i < path.size(); ++i) EXPECT_TRUE(list->set(i, StrView(path[i].data(), path[i].size())).ok());
  if (key_len) {
    std::vector<uint8_t> key(key_len, 0xab);
    EXPECT_TRUE(root->setKey(Bytes(key.data(), key.size())).ok());
  }
  return root->asReader();
}

std::string refusal(wire::Binding::Reader r) {
  auto b = check_binding(r);
  return b ? "accepted" : b.error().detail;
}

}  // namespace

TEST(NsRecord, FileBindingRoundTrips) {
  Built in;
  auto b = check_binding(make(in, wire::BindingKind::FILE, {"docs", "readme"}, 0, true));
  ASSERT_TRUE(b.ok());
  uint8_t rec[kNsRecordMax + 1];
  auto len = encode_record(*b, MutBytes(rec, sizeof(rec)));
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(0, memcmp(rec, kNsRecordMagic, 8));
  capnp::StreamReader<1> msg;
  auto back = decode_record(Bytes(rec, *len), msg);
  ASSERT_TRUE(back.ok()) << back.error().detail;
  EXPECT_EQ(back->kind, wire::BindingKind::FILE);
  EXPECT_TRUE(back->writable);
  ASSERT_EQ(back->depth, 2u);
  EXPECT_EQ(back->path[0], StrView("docs"));
  EXPECT_EQ(back->path[1], StrView("readme"));
}

TEST(NsRecord, BlobAndDeepestPathRoundTrip) {
  Built in;
  auto blob = check_binding(make(in, wire::BindingKind::BLOB, {}, 32));
  ASSERT_TRUE(blob.ok());
  uint8_t rec[kNsRecordMax];
  capnp::StreamReader<1> msg;
  auto back = decode_record(Bytes(rec, *encode_record(*blob, MutBytes(rec, sizeof(rec)))), msg);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->kind, wire::BindingKind::BLOB);
  EXPECT_EQ(back->key[31], 0xab);
  // The largest binding (16 names of 255 bytes) fits a record.
  Built deep;
  auto big = check_binding(make(deep, wire::BindingKind::DIRECTORY, std::vector<std::string>(16, std::string(255, 'n')), 0));
  ASSERT_TRUE(big.ok());
  auto len = encode_record(*big, MutBytes(rec, sizeof(rec)));
  ASSERT_TRUE(len.ok());
  capnp::StreamReader<1> msg2;
  auto deep_back = decode_record(Bytes(rec, *len), msg2);
  ASSERT_TRUE(deep_back.ok());
  EXPECT_EQ(deep_back->depth, 16u);
}

TEST(NsRecord, BadBindingsAreRefusedWithTheirRule) {
  Built a, b, c, d, e, f, g, h, i;
  EXPECT_EQ(refusal(make(a, wire::BindingKind::FILE, {"..", "x"}, 0)), "name is '.' or '..'");
  EXPECT_EQ(refusal(make(b, wire::BindingKind::FILE, {"a/b"}, 0)), "name contains '/'");
  EXPECT_EQ(refusal(make(c, wire::BindingKind::FILE, {}, 0)), "a file binding needs a path");
  EXPECT_EQ(refusal(make(d, wire::BindingKind::DIRECTORY, std::vector<std::string>(17, "d"), 0)),
            "path has more than 16 names");
  EXPECT_EQ(refusal(make(e, wire::BindingKind::BLOB, {}, 31)), "a key is 32 bytes (SHA-256)");
  EXPECT_EQ(refusal(make(f, wire::BindingKind::BLOB, {"x"}, 32)), "a blob binding has no path");
  EXPECT_EQ(refusal(make(g, wire::BindingKind::DIRECTORY, {"x"}, 32)), "only a blob binding has a key");
  EXPECT_EQ(refusal(make(h, static_cast<wire::BindingKind>(7), {"x"}, 0)), "unknown binding kind");
  EXPECT_EQ(refusal(make(i, wire::BindingKind::DIRECTORY, {}, 0)), "accepted");  // the scope itself
}

TEST(NsRecord, DamagedRecordsAreRefusedOrStillValid) {
  Built in;
  auto b = check_binding(make(in, wire::BindingKind::FILE, {"docs", "readme"}, 0));
  ASSERT_TRUE(b.ok());
  uint8_t rec[kNsRecordMax];
  size_t len = *encode_record(*b, MutBytes(rec, sizeof(rec)));
  // Every truncation is refused.
  for (size_t n = 0; n < len; ++n) {
    capnp::StreamReader<1> msg;
    EXPECT_FALSE(decode_record(Bytes(rec, n), msg).ok()) << "prefix of " << n << " bytes";
  }
  // Trailing bytes are refused.
  uint8_t longer[kNsRecordMax + 8] = {};
  memcpy(longer, rec, len);
  capnp::StreamReader<1> msg;
  EXPECT_FALSE(decode_record(Bytes(longer, len + 8), msg).ok());
  // Any flipped bit gives a refusal or a binding that passes every rule.
  for (size_t i = 0; i < len * 8; ++i) {
    uint8_t copy[kNsRecordMax];
    memcpy(copy, rec, len);
    copy[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
    capnp::StreamReader<1> m;
    auto r = decode_record(Bytes(copy, len), m);
    if (!r) {
      EXPECT_EQ(r.error().code, Err::Corrupt);
      continue;
    }
    for (uint32_t k = 0; k < r->depth; ++k) EXPECT_TRUE(fs::check_name(r->path[k].ptr, r->path[k].size()).ok());
  }
}
