// A BlockStore that batches writes and reads ahead over another one
// whose calls are costly and whose bytes are cheap (fsd's BlockDevice:
// every call is a round trip to the driver and the device). docs/storage.md,
// "Device I/O".
//
// - Writes that follow each other on the device gather in `write_buf`
//   and go down as one call when the buffer is full, when a write does not
//   continue the run, before a read that would see the blocks, and at
//   flush. That is within BlockStore's contract: a write may reach the
//   medium at any time before flush returns, so crash safety is unchanged
//   (flush drains first, then flushes the device).
// - Reads fill `read_buf`: a read that continues the previous one doubles
//   the read-ahead window (up to the buffer), any other reads exactly what
//   was asked. Later reads inside the window are answered from memory.
//   Every write also lands in the window's copy, so it never goes stale
//   (this store is the device's only writer).
// - A batched write that fails reaches its caller late (at a later write,
//   read or flush), after the filesystem believed the data written. So the
//   store then refuses everything until it is opened again: no commit can
//   make that data durable, and the last one stays.
//
// Portable: fsd passes buffers that the lower store moves by bulk calls
// (user/storage/device_store.h); the host tests pass plain memory.
// Not thread-safe: one owner calls it.
#pragma once

#include "lib/fs/fs.h"

namespace capos::fs {

class BatchStore final : public BlockStore {
 public:
  // Both buffers are whole blocks (at least one each).
  BatchStore(BlockStore& lower, MutBytes read_buf, MutBytes write_buf)
      : lower_(lower),
        rbuf_(read_buf),
        wbuf_(write_buf),
        rcap_(static_cast<uint32_t>(read_buf.size() / kBlockSize)),
        wcap_(static_cast<uint32_t>(write_buf.size() / kBlockSize)) {}

  uint64_t block_count() const override { return lower_.block_count(); }
  FsStatus read(uint64_t block, uint32_t count, MutBytes out) override;
  FsStatus write(uint64_t block, uint32_t count, Bytes data) override;
  FsStatus flush() override;

  // Counters for tests and the docs' figures.
  struct Stats {
    uint64_t reads_answered = 0;  // blocks read from the window
    uint64_t lower_reads = 0;     // calls down
    uint64_t lower_writes = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  FsStatus drain();
  FsStatus fill(uint64_t block, uint32_t want);
  bool pending_overlaps(uint64_t block, uint64_t count) const {
    return pend_count_ && block < pend_start_ + pend_count_ && pend_start_ < block + count;
  }

  BlockStore& lower_;
  MutBytes rbuf_, wbuf_;
  uint32_t rcap_, wcap_;
  // The read window: blocks [cache_start_, + cache_count_) in rbuf_.
  uint64_t cache_start_ = 0;
  uint32_t cache_count_ = 0;
  uint64_t next_seq_ = ~uint64_t{0};  // the block a continuing read starts at
  uint32_t ahead_ = 0;                // current read-ahead window, blocks
  // Gathered writes: blocks [pend_start_, + pend_count_) in wbuf_.
  uint64_t pend_start_ = 0;
  uint32_t pend_count_ = 0;
  bool poisoned_ = false;
  FsError poison_;
  Stats stats_;
};

}  // namespace capos::fs
