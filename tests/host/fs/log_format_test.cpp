// The metadata log's record parser (lib/fs/log_format.cpp): a commit's
// records round-trip, and each framing rule refuses its damage by message
// before the sink sees anything.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/fs/log_format.h"

namespace capos::fs {
namespace {

struct Seen final : LogSink {
  std::vector<std::string> out;
  FsStatus node(const LogNode& n) override {
    out.push_back("node " + std::to_string(n.id) + " in " + std::to_string(n.parent) + " " +
                  std::string(n.name, n.name_len) + " size " + std::to_string(n.size) + " runs " +
                  std::to_string(n.run_count));
    return {};
  }
  FsStatus removed(uint32_t id) override {
    out.push_back("removed " + std::to_string(id));
    return {};
  }
};

// A commit of generation 5: file "f" (id 3, in 0, 5000 bytes = 2 blocks as
// one run at block 10), removed id 4, root (id 0), then the commit record.
std::vector<uint8_t> good_commit() {
  std::vector<uint8_t> b(log_node_bytes(1, 1) + kLogRemovedBytes + log_node_bytes(0, 0) + kLogCommitBytes);
  uint8_t* p = b.data();
  encode_log_node(LogNode{3, 0, Kind::File, nullptr, 1, 5000, 4, nullptr, 1}, p);
  p[kLogNodeBytes] = 'f';
  put_u32(p + kLogNodeBytes + 1, 10);
  put_u32(p + kLogNodeBytes + 5, 2);
  p += log_node_bytes(1, 1);
  encode_log_removed(4, p);
  p += kLogRemovedBytes;
  encode_log_node(LogNode{0, kNoParent, Kind::Dir, nullptr, 0, 0, 4, nullptr, 0}, p);
  p += log_node_bytes(0, 0);
  encode_log_commit(5, 3, crc32c(Bytes(b.data(), static_cast<size_t>(p - b.data()))), p);
  return b;
}

// Re-seals the commit record after a change to the records before it.
void reseal(std::vector<uint8_t>* b, uint32_t count) {
  size_t at = b->size() - kLogCommitBytes;
  encode_log_commit(5, count, crc32c(Bytes(b->data(), at)), b->data() + at);
}

TEST(LogFormat, ACommitRoundTrips) {
  std::vector<uint8_t> b = good_commit();
  Seen s;
  auto n = parse_log_commit(Bytes(b.data(), b.size()), 5, 64, &s);
  ASSERT_TRUE(n) << n.error().detail;
  EXPECT_EQ(*n, 3u);
  std::vector<std::string> want = {"node 3 in 0 f size 5000 runs 1", "removed 4",
                                   "node 0 in 4294967295  size 0 runs 0"};
  EXPECT_EQ(s.out, want);
}

TEST(LogFormat, EachRuleRefusesItsDamage) {
  struct Bad {
    const char* why;
    void (*damage)(std::vector<uint8_t>*);
    bool reseal;
  } bad[] = {
      {"log commit record of another generation", [](std::vector<uint8_t>* b) { put_u64(b->data() + b->size() - 16, 6); }, false},
      {"log commit record count mismatch", [](std::vector<uint8_t>* b) { put_u32(b->data() + b->size() - 20, 2); }, false},
      {"log commit checksum mismatch", [](std::vector<uint8_t>* b) { (*b)[kLogNodeBytes] = 'g'; }, false},
      {"bytes after the log commit record", [](std::vector<uint8_t>* b) { b->push_back(0); }, false},
      {"log commit without its commit record", [](std::vector<uint8_t>* b) { b->resize(b->size() - kLogCommitBytes); }, false},
      {"log record cut short", [](std::vector<uint8_t>* b) { b->resize(b->size() - 1); }, false},
      {"unknown log record type", [](std::vector<uint8_t>* b) { (*b)[0] = 9; }, true},
      {"unknown node kind", [](std::vector<uint8_t>* b) { (*b)[1] = 3; }, true},
      {"log record reserved bytes are not zero", [](std::vector<uint8_t>* b) { (*b)[3] = 1; }, true},
      {"name contains '/'", [](std::vector<uint8_t>* b) { (*b)[kLogNodeBytes] = '/'; }, true},
      {"block runs do not cover the file size", [](std::vector<uint8_t>* b) { put_u64(b->data() + 16, 9000); }, true},
      {"block run outside the device", [](std::vector<uint8_t>* b) { put_u32(b->data() + kLogNodeBytes + 1, 63); }, true},
      {"log record without a parent", [](std::vector<uint8_t>* b) { put_u32(b->data() + 8, kNoParent); }, true},
      {"log record without a parent", [](std::vector<uint8_t>* b) { put_u32(b->data() + 8, 3); }, true},
      {"node id out of range", [](std::vector<uint8_t>* b) { put_u32(b->data() + 4, kMaxNodes); }, true},
      {"log record for the root is not the root directory", [](std::vector<uint8_t>* b) { put_u32(b->data() + 4, 0); }, true},
      {"log removes the root or an id out of range",
       [](std::vector<uint8_t>* b) { put_u32(b->data() + log_node_bytes(1, 1) + 4, 0); }, true},
      {"directory with data", [](std::vector<uint8_t>* b) { (*b)[1] = static_cast<uint8_t>(Kind::Dir); }, true},
      {"log record runs past the commit", [](std::vector<uint8_t>* b) { put_u32(b->data() + 12, 5000); }, true},
  };
  for (const Bad& x : bad) {
    std::vector<uint8_t> b = good_commit();
    x.damage(&b);
    if (x.reseal) reseal(&b, 3);
    Seen s;
    auto r = parse_log_commit(Bytes(b.data(), b.size()), 5, 64, &s);
    ASSERT_FALSE(r) << x.why;
    EXPECT_STREQ(r.error().detail, x.why);
    EXPECT_TRUE(s.out.empty()) << x.why;  // nothing reported before the refusal
  }
}

}  // namespace
}  // namespace capos::fs
