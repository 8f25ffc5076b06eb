// Write batching and read-ahead over a costly block store (batch_store.h).
#include "lib/fs/batch_store.h"

namespace capos::fs {

namespace {
// The first read-ahead window of a sequential stream, in blocks; each
// further continuing miss doubles it up to the read buffer.
constexpr uint32_t kFirstAhead = 8;
}  // namespace

FsStatus BatchStore::drain() {
  if (!pend_count_) return {};
  uint32_t n = pend_count_;
  pend_count_ = 0;
  ++stats_.lower_writes;
  FsStatus st = lower_.write(pend_start_, n, Bytes(wbuf_.data(), size_t{n} * kBlockSize));
  if (!st) {
    poisoned_ = true;
    poison_ = st.error();
  }
  return st;
}

FsStatus BatchStore::fill(uint64_t block, uint32_t want) {
  uint64_t room = block_count() - block;
  if (want > rcap_) want = rcap_;
  if (want > room) want = static_cast<uint32_t>(room);
  // Gathered writes inside the window go down first, so the device's
  // copy is the current one.
  if (pending_overlaps(block, want)) CAPOS_TRY_STATUS(drain());
  cache_count_ = 0;  // nothing valid while the buffer is being refilled
  ++stats_.lower_reads;
  CAPOS_TRY_STATUS(lower_.read(block, want, MutBytes(rbuf_.data(), size_t{want} * kBlockSize)));
  cache_start_ = block;
  cache_count_ = want;
  return {};
}

FsStatus BatchStore::read(uint64_t block, uint32_t count, MutBytes out) {
  if (poisoned_) return fail(poison_);
  if (block >= block_count() || count > block_count() - block || out.size() < size_t{count} * kBlockSize)
    return fs_fail(Err::InvalidArgument, "read outside the device");
  bool continues = block == next_seq_;
  next_seq_ = block + count;
  for (uint32_t done = 0; done < count;) {
    uint64_t b = block + done;
    if (cache_count_ && b >= cache_start_ && b < cache_start_ + cache_count_) {
      uint32_t n = static_cast<uint32_t>(min<uint64_t>(count - done, cache_start_ + cache_count_ - b));
      memcpy(out.data() + size_t{done} * kBlockSize, rbuf_.data() + (b - cache_start_) * kBlockSize,
             size_t{n} * kBlockSize);
      stats_.reads_answered += n;
      done += n;
      continue;
    }
    uint32_t want = count - done;
    if (continues) {
      ahead_ = ahead_ ? min(ahead_ * 2, rcap_) : min(kFirstAhead, rcap_);
      if (want < ahead_) want = ahead_;
    } else {
      ahead_ = 0;
    }
    CAPOS_TRY_STATUS(fill(b, want));
  }
  return {};
}

FsStatus BatchStore::write(uint64_t block, uint32_t count, Bytes data) {
  if (poisoned_) return fail(poison_);
  if (block >= block_count() || count > block_count() - block || data.size() != size_t{count} * kBlockSize)
    return fs_fail(Err::InvalidArgument, "write outside the device");
  // The read window keeps the newest bytes.
  if (cache_count_) {
    uint64_t lo = max(block, cache_start_), hi = min(block + count, cache_start_ + cache_count_);
    if (lo < hi)
      memcpy(rbuf_.data() + (lo - cache_start_) * kBlockSize, data.data() + (lo - block) * kBlockSize,
             (hi - lo) * kBlockSize);
  }
  // A rewrite of gathered blocks lands in place; one that only partly
  // overlaps them sends them down first (a run holds each block once).
  if (pending_overlaps(block, count)) {
    if (block >= pend_start_ && block + count <= pend_start_ + pend_count_) {
      memcpy(wbuf_.data() + (block - pend_start_) * kBlockSize, data.data(), data.size());
      return {};
    }
    CAPOS_TRY_STATUS(drain());
  }
  for (uint32_t done = 0; done < count;) {
    uint64_t b = block + done;
    if (pend_count_ && b != pend_start_ + pend_count_) CAPOS_TRY_STATUS(drain());
    if (!pend_count_) pend_start_ = b;
    uint32_t n = min(count - done, wcap_ - pend_count_);
    memcpy(wbuf_.data() + size_t{pend_count_} * kBlockSize, data.data() + size_t{done} * kBlockSize,
           size_t{n} * kBlockSize);
    pend_count_ += n;
    done += n;
    if (pend_count_ == wcap_) CAPOS_TRY_STATUS(drain());
  }
  return {};
}

FsStatus BatchStore::flush() {
  if (poisoned_) return fail(poison_);
  CAPOS_TRY_STATUS(drain());
  return lower_.flush();
}

}  // namespace capos::fs
