#include "lib/net/frame_ring.h"

#include "lib/core/cstring.h"

namespace capos::net {

namespace {

uint32_t load(const RingIndex& i) { return __atomic_load_n(&i.value, __ATOMIC_ACQUIRE); }
void store(RingIndex& i, uint32_t v) { __atomic_store_n(&i.value, v, __ATOMIC_RELEASE); }

}  // namespace

void init_rings(NicRings& r) {
  r.slots = RING_SLOTS;
  store(r.rx_head, 0);
  store(r.rx_tail, 0);
  store(r.tx_head, 0);
  store(r.tx_tail, 0);
  __atomic_store_n(&r.magic, NIC_RINGS_MAGIC, __ATOMIC_RELEASE);
}

bool rings_valid(const NicRings& r) {
  return __atomic_load_n(&r.magic, __ATOMIC_ACQUIRE) == NIC_RINGS_MAGIC && r.slots == RING_SLOTS;
}

RingProducer::RingProducer(RingIndex& head, RingIndex& tail, uint8_t (*slots)[SLOT_BYTES])
    : head_(&head), tail_(&tail), slots_(slots), tail_mine_(load(tail)) {}

Status RingProducer::push(Bytes frame) {
  if (frame.size() == 0 || frame.size() > ETH_MAX_FRAME) return fail(Err::InvalidArgument);
  uint32_t used = tail_mine_ - load(*head_);
  if (used > RING_SLOTS) return fail(Err::Corrupt);
  if (used == RING_SLOTS) return fail(Err::Overloaded);
  uint8_t* slot = slots_[tail_mine_ % RING_SLOTS];
  slot[0] = static_cast<uint8_t>(frame.size() >> 8);
  slot[1] = static_cast<uint8_t>(frame.size());
  memcpy(slot + 2, frame.data(), frame.size());
  store(*tail_, ++tail_mine_);
  return {};
}

bool RingProducer::full() const { return tail_mine_ - load(*head_) >= RING_SLOTS; }

RingConsumer::RingConsumer(RingIndex& head, RingIndex& tail, uint8_t (*slots)[SLOT_BYTES])
    : head_(&head), tail_(&tail), slots_(slots), head_mine_(load(head)) {}

bool RingConsumer::empty() const { return load(*tail_) == head_mine_; }

Result<size_t> RingConsumer::pop(MutBytes out) {
  uint32_t avail = load(*tail_) - head_mine_;
  if (avail == 0) return fail(Err::NotFound);
  if (avail > RING_SLOTS) return fail(Err::Corrupt);
  const uint8_t* slot = slots_[head_mine_ % RING_SLOTS];
  // Read the length once: the producer may rewrite the slot meanwhile.
  size_t len = size_t{__atomic_load_n(&slot[0], __ATOMIC_RELAXED)} << 8 | __atomic_load_n(&slot[1], __ATOMIC_RELAXED);
  bool bad = len == 0 || len > ETH_MAX_FRAME || len > out.size();
  if (!bad) memcpy(out.data(), slot + 2, len);
  store(*head_, ++head_mine_);
  if (bad) return fail(Err::Corrupt);
  return len;
}

}  // namespace capos::net
