// Frame rings shared by a network driver process (vnetd) and the stack
// (netd) in one MemoryObject, sDDF-style: frames move through memory, the
// endpoints carry only attach and wake-ups (NicPort / NicDoorbell in
// schema/net.capnp). Two single-producer single-consumer rings: rx (the
// driver produces received frames, netd consumes them) and tx (netd
// produces frames to send, the driver consumes them).
//
// Either side may be buggy or hostile and both can write the whole
// region, so each side keeps its own index privately and only publishes
// it; what it reads of the peer's index and of a slot's length is checked
// (a producer claiming more than RING_SLOTS frames, a length over
// ETH_MAX_FRAME: Err::Corrupt) and a frame is copied out before use.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"
#include "lib/net/link.h"

namespace capos::net {

constexpr uint32_t RING_SLOTS = 32;   // a power of two
constexpr uint32_t SLOT_BYTES = 2048; // 2-byte length + up to ETH_MAX_FRAME bytes
constexpr uint32_t NIC_RINGS_MAGIC = 0x52434E63;  // "cNCR"

struct alignas(64) RingIndex {
  uint32_t value;  // head (consumer) or tail (producer), free-running
};

struct NicRings {
  uint32_t magic;
  uint32_t slots;          // RING_SLOTS, for a sanity check by the mapper
  RingIndex rx_head, rx_tail, tx_head, tx_tail;
  uint8_t rx[RING_SLOTS][SLOT_BYTES];
  uint8_t tx[RING_SLOTS][SLOT_BYTES];
};
static_assert(ETH_MAX_FRAME + 2 <= SLOT_BYTES);
constexpr size_t NIC_RINGS_PAGES = (sizeof(NicRings) + 4095) / 4096;

// Writes the header of a fresh (zeroed) region.
void init_rings(NicRings& r);
// Whether a region handed over by the peer has the expected header.
bool rings_valid(const NicRings& r);

// The producing end of one ring.
class RingProducer {
 public:
  RingProducer() = default;
  RingProducer(RingIndex& head, RingIndex& tail, uint8_t (*slots)[SLOT_BYTES]);
  static RingProducer rx(NicRings& r) { return RingProducer(r.rx_head, r.rx_tail, r.rx); }
  static RingProducer tx(NicRings& r) { return RingProducer(r.tx_head, r.tx_tail, r.tx); }
  // Queues one frame. Overloaded: the ring is full. InvalidArgument:
  // empty or longer than ETH_MAX_FRAME. Corrupt: the consumer's head is
  // not within the ring.
  Status push(Bytes frame);
  // No free slot (or the consumer's head is out of range).
  bool full() const;

 private:
  RingIndex* head_ = nullptr;
  RingIndex* tail_ = nullptr;
  uint8_t (*slots_)[SLOT_BYTES] = nullptr;
  uint32_t tail_mine_ = 0;
};

// The consuming end of one ring.
class RingConsumer {
 public:
  RingConsumer() = default;
  RingConsumer(RingIndex& head, RingIndex& tail, uint8_t (*slots)[SLOT_BYTES]);
  static RingConsumer rx(NicRings& r) { return RingConsumer(r.rx_head, r.rx_tail, r.rx); }
  static RingConsumer tx(NicRings& r) { return RingConsumer(r.tx_head, r.tx_tail, r.tx); }
  // Copies the next frame into `out` (>= ETH_MAX_FRAME bytes) and frees
  // its slot. NotFound: nothing queued. Corrupt: the producer claims more
  // than RING_SLOTS frames or wrote an impossible length (the slot is
  // skipped, so one bad frame does not wedge the ring).
  Result<size_t> pop(MutBytes out);
  bool empty() const;

 private:
  RingIndex* head_ = nullptr;
  RingIndex* tail_ = nullptr;
  uint8_t (*slots_)[SLOT_BYTES] = nullptr;
  uint32_t head_mine_ = 0;
};

}  // namespace capos::net
