// The storage drivers' request rules (user/drivers/block_checks.h: the
// exact refusals BlockDevice clients see) and the per-slot command
// tracker of bulk requests (user/drivers/chunk_tracker.h), the latter
// against a model under random operations.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "user/drivers/block_checks.h"
#include "user/drivers/chunk_tracker.h"

namespace capos::drivers {
namespace {

std::string why(const char* w) { return w ? w : "ok"; }

TEST(BlockChecks, TransferLimitsAndOverflow) {
  EXPECT_EQ(why(check_transfer(0, 16, 100, 512)), "ok");
  EXPECT_EQ(why(check_transfer(0, 17, 100, 512)), "blocks must be 1 to 16");
  EXPECT_EQ(why(check_transfer(0, 0, 100, 512)), "blocks must be 1 to 16");
  EXPECT_EQ(why(check_transfer(99, 1, 100, 512)), "ok");
  EXPECT_EQ(why(check_transfer(99, 2, 100, 512)), "range outside the disk");
  EXPECT_EQ(why(check_transfer(~0ull, 1, 100, 512)), "range outside the disk");
  EXPECT_EQ(why(check_payload(513, 512)), "data must be 1 to 16 whole 512-byte blocks");
  EXPECT_EQ(why(check_range(~0ull - 1, 2, ~0ull)), "range outside the disk");
}

TEST(BlockChecks, BulkLengthRangeAndBuffer) {
  const uint64_t mib = schema::wire::MAX_BULK_TRANSFER_BYTES;
  EXPECT_EQ(why(check_bulk(0, 2048, 32768, 512, 0, mib)), "ok");
  EXPECT_EQ(why(check_bulk(0, 2049, 32768, 512, 0, 2 * mib)), "blocks must be 1 to 2048");
  EXPECT_EQ(why(check_bulk(0, 0, 32768, 512, 0, mib)), "blocks must be 1 to 2048");
  EXPECT_EQ(why(check_bulk(32767, 1, 32768, 512, 0, mib)), "ok");
  EXPECT_EQ(why(check_bulk(32767, 2, 32768, 512, 0, mib)), "range outside the disk");
  EXPECT_EQ(why(check_bulk(~0ull, 1, 32768, 512, 0, mib)), "range outside the disk");
  // The buffer must hold offset + data, computed without overflow.
  EXPECT_EQ(why(check_bulk(0, 8, 32768, 512, mib - 4096, mib)), "ok");
  EXPECT_EQ(why(check_bulk(0, 8, 32768, 512, mib - 4095, mib)), "the buffer is too small for offset and data");
  EXPECT_EQ(why(check_bulk(0, 8, 32768, 512, mib + 1, mib)), "the buffer is too small for offset and data");
  EXPECT_EQ(why(check_bulk(0, 8, 32768, 512, ~0ull - 100, mib)), "the buffer is too small for offset and data");
  EXPECT_EQ(why(check_bulk(0, 1, 32768, 512, 0, 0)), "the buffer is too small for offset and data");
}

TEST(ChunkTracker, SlotFinishesWithItsLastCommandAndFirstFailure) {
  ChunkTracker t;
  ASSERT_TRUE(t.begin(2, 3).ok());
  EXPECT_FALSE(t.begin(2, 1).ok());  // still outstanding
  auto a = t.end(2, {});
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(a->done);
  auto b = t.end(2, fail(Err::Failed, "first"));
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->done);
  auto c = t.end(2, fail(Err::Unsupported, "second"));
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c->done);
  EXPECT_EQ(c->slot, 2u);
  ASSERT_FALSE(c->outcome.ok());
  EXPECT_EQ(c->outcome.error().code, Err::Failed);
  EXPECT_STREQ(c->outcome.error().detail, "first");
  // Nothing outstanding any more: a further completion is the device lying.
  EXPECT_FALSE(t.end(2, {}).ok());
  EXPECT_FALSE(t.end(ChunkTracker::MAX_SLOTS, {}).ok());
  EXPECT_FALSE(t.begin(ChunkTracker::MAX_SLOTS, 1).ok());
  EXPECT_FALSE(t.begin(0, 0).ok());
  EXPECT_FALSE(t.begin(0, ChunkTracker::MAX_COMMANDS + 1).ok());
  ASSERT_TRUE(t.begin(2, 1).ok());  // reusable, outcome reset
  auto d = t.end(2, {});
  ASSERT_TRUE(d.ok() && d->done);
  EXPECT_TRUE(d->outcome.ok());
}

// Random begin / end / cancel against a model: per slot the commands
// outstanding and whether one failed.
TEST(ChunkTracker, RandomOperationsMatchModel) {
  std::mt19937 rng(17);
  ChunkTracker t;
  uint32_t pending[ChunkTracker::MAX_SLOTS] = {};
  bool failed[ChunkTracker::MAX_SLOTS] = {};
  for (int step = 0; step < 100000; ++step) {
    uint32_t slot = rng() % (ChunkTracker::MAX_SLOTS + 1);  // one past the end too
    bool valid = slot < ChunkTracker::MAX_SLOTS;
    switch (rng() % 5) {
      case 0: {
        uint32_t n = rng() % 6;
        bool ok = t.begin(slot, n).ok();
        bool want = valid && n >= 1 && pending[slot] == 0;
        ASSERT_EQ(ok, want) << "step " << step;
        if (want) pending[slot] = n, failed[slot] = false;
        break;
      }
      case 1:
        t.cancel(slot);
        if (valid) pending[slot] = 0;
        break;
      default: {
        bool fails = rng() % 4 == 0;
        auto r = t.end(slot, fails ? Result<void, DetailedErr>(fail(Err::Failed, "io")) : Result<void, DetailedErr>());
        if (!valid || pending[slot] == 0) {
          ASSERT_FALSE(r.ok()) << "step " << step;
          EXPECT_EQ(r.error(), Err::Corrupt);
          break;
        }
        ASSERT_TRUE(r.ok());
        failed[slot] = failed[slot] || fails;
        --pending[slot];
        ASSERT_EQ(r->done, pending[slot] == 0) << "step " << step;
        if (r->done) {
          EXPECT_EQ(r->slot, slot);
          EXPECT_EQ(r->outcome.ok(), !failed[slot]);
        }
      }
    }
    for (uint32_t s = 0; s < ChunkTracker::MAX_SLOTS; ++s) ASSERT_EQ(t.pending(s), pending[s]);
  }
}

}  // namespace
}  // namespace capos::drivers
