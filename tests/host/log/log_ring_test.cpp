// LogRing: sequence numbers, drop-oldest, cursors and lost-record counts.
#include "lib/log/log_ring.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

using capos::LogRing;
using capos::StrView;

namespace {

std::vector<std::string> read_all(const LogRing& r, uint64_t from, uint32_t max, LogRing::ReadResult* out) {
  std::vector<std::string> got;
  *out = r.read(from, max, [&](const LogRing::Record& rec) {
    got.push_back(std::to_string(rec.seq) + ":" + std::string(rec.source.ptr, rec.source.len) + ":" +
                  std::string(rec.message.ptr, rec.message.len));
    return true;
  });
  return got;
}

TEST(LogRing, SequenceAndCursor) {
  auto r = std::make_unique<LogRing>();
  LogRing::ReadResult res;
  EXPECT_TRUE(read_all(*r, 0, 10, &res).empty());
  EXPECT_EQ(res.next_seq, 1u);
  EXPECT_EQ(res.lost, 0u);
  EXPECT_EQ(r->append(5, 2, "kernel", "one"), 1u);
  EXPECT_EQ(r->append(6, 1, "logd", "two"), 2u);
  EXPECT_EQ(r->append(7, 0, "init", "three"), 3u);
  EXPECT_EQ(read_all(*r, 0, 2, &res), (std::vector<std::string>{"1:kernel:one", "2:logd:two"}));
  EXPECT_EQ(res.next_seq, 3u);
  EXPECT_EQ(read_all(*r, res.next_seq, 10, &res), (std::vector<std::string>{"3:init:three"}));
  EXPECT_EQ(res.next_seq, 4u);
  EXPECT_TRUE(read_all(*r, 4, 10, &res).empty());
  EXPECT_EQ(res.next_seq, 4u);
  EXPECT_TRUE(read_all(*r, 99, 10, &res).empty());  // a future cursor restarts at the end
  EXPECT_EQ(res.next_seq, 4u);
}

TEST(LogRing, OverwrittenRecordsAreCountedAsLost) {
  auto r = std::make_unique<LogRing>();
  const uint64_t n = LogRing::kRecords + 10;
  for (uint64_t i = 1; i <= n; ++i) r->append(i, 2, "k", std::to_string(i).c_str());
  EXPECT_EQ(r->oldest_seq(), 11u);
  LogRing::ReadResult res;
  auto got = read_all(*r, 5, 3, &res);
  EXPECT_EQ(got, (std::vector<std::string>{"11:k:11", "12:k:12", "13:k:13"}));
  EXPECT_EQ(res.lost, 6u);  // 5..10
  EXPECT_EQ(res.next_seq, 14u);
  read_all(*r, 0, 1, &res);
  EXPECT_EQ(res.lost, 10u);  // since boot
  read_all(*r, 14, 1000, &res);
  EXPECT_EQ(res.lost, 0u);
  EXPECT_EQ(res.count, n - 13);
}

TEST(LogRing, CutsAndStopsWhereTheVisitorSays) {
  auto r = std::make_unique<LogRing>();
  std::string big(LogRing::kMessageMax + 100, 'm'), src(64, 's');
  r->append(1, 2, StrView(src.data(), src.size()), StrView(big.data(), big.size()));
  r->append(2, 2, "k", "second");
  uint32_t seen = 0;
  auto res = r->read(0, 10, [&](const LogRing::Record& rec) {
    if (seen == 1) return false;
    EXPECT_EQ(rec.message.size(), LogRing::kMessageMax);
    EXPECT_EQ(rec.source.size(), LogRing::kSourceMax);
    ++seen;
    return true;
  });
  EXPECT_EQ(res.count, 1u);
  EXPECT_EQ(res.next_seq, 2u);  // the refused record is next
}

}  // namespace
