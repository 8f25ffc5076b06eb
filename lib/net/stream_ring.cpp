#include "lib/net/stream_ring.h"

#include "lib/core/cstring.h"

namespace capos::net {

namespace {

constexpr uint32_t MASK = STREAM_RING_BYTES - 1;
static_assert((STREAM_RING_BYTES & MASK) == 0, "the ring size must be a power of two");

uint32_t load(const RingIndex& i) { return __atomic_load_n(&i.value, __ATOMIC_ACQUIRE); }
void store(RingIndex& i, uint32_t v) { __atomic_store_n(&i.value, v, __ATOMIC_RELEASE); }

// `n` bytes of the ring starting at free-running index `at`, in order.
RingPieces pieces(uint8_t* data, uint32_t at, uint32_t n) {
  uint32_t off = at & MASK;
  uint32_t first = n < STREAM_RING_BYTES - off ? n : STREAM_RING_BYTES - off;
  return RingPieces{MutBytes(data + off, first), MutBytes(data, n - first)};
}

}  // namespace

void init_stream_rings(StreamRings& r) {
  r.bytes = STREAM_RING_BYTES;
  store(r.rx_head, 0);
  store(r.rx_tail, 0);
  store(r.tx_head, 0);
  store(r.tx_tail, 0);
  store(r.rx_blocked, 0);
  store(r.rx_end, static_cast<uint32_t>(StreamEnd::Open));
  __atomic_store_n(&r.magic, STREAM_RINGS_MAGIC, __ATOMIC_RELEASE);
}

bool stream_rings_valid(const StreamRings& r) {
  return __atomic_load_n(&r.magic, __ATOMIC_ACQUIRE) == STREAM_RINGS_MAGIC && r.bytes == STREAM_RING_BYTES;
}

StreamProducer::StreamProducer(RingIndex& head, RingIndex& tail, uint8_t* data)
    : head_(&head), tail_(&tail), data_(data), tail_mine_(load(tail)) {}

Result<uint32_t> StreamProducer::queued() const {
  uint32_t used = tail_mine_ - load(*head_);
  if (used > STREAM_RING_BYTES) return fail(Err::Corrupt);
  return used;
}

Result<RingPieces> StreamProducer::room() const {
  uint32_t used = CAPOS_TRY(queued());
  room_ = STREAM_RING_BYTES - used;
  return pieces(data_, tail_mine_, room_);
}

void StreamProducer::commit(size_t n) {
  if (n > room_) n = room_;
  room_ -= static_cast<uint32_t>(n);
  tail_mine_ += static_cast<uint32_t>(n);
  store(*tail_, tail_mine_);
}

Result<size_t> StreamProducer::push(Bytes data) {
  RingPieces r = CAPOS_TRY(room());
  size_t n = data.size() < r.size() ? data.size() : r.size();
  size_t a = n < r.first.size() ? n : r.first.size();
  memcpy(r.first.data(), data.data(), a);
  memcpy(r.second.data(), data.data() + a, n - a);
  commit(n);
  return n;
}

StreamConsumer::StreamConsumer(RingIndex& head, RingIndex& tail, uint8_t* data)
    : head_(&head), tail_(&tail), data_(data), head_mine_(load(head)) {}

Result<RingPieces> StreamConsumer::ready() const {
  uint32_t avail = load(*tail_) - head_mine_;
  if (avail > STREAM_RING_BYTES) return fail(Err::Corrupt);
  ready_ = avail;
  return pieces(data_, head_mine_, avail);
}

void StreamConsumer::consume(size_t n) {
  if (n > ready_) n = ready_;
  ready_ -= static_cast<uint32_t>(n);
  head_mine_ += static_cast<uint32_t>(n);
  store(*head_, head_mine_);
}

Result<size_t> StreamConsumer::pop(MutBytes out) {
  RingPieces r = CAPOS_TRY(ready());
  size_t n = out.size() < r.size() ? out.size() : r.size();
  size_t a = n < r.first.size() ? n : r.first.size();
  memcpy(out.data(), r.first.data(), a);
  memcpy(out.data() + a, r.second.data(), n - a);
  consume(n);
  return n;
}

}  // namespace capos::net
