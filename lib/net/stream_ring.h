// Byte rings one TCP socket's data moves through, shared by netd and its
// client in one MemoryObject (TcpSocket.buffers, schema/net.capnp): `rx`
// (netd produces received bytes, the client consumes them) and `tx` (the
// client produces bytes to send, netd consumes them). Calls then carry
// only wake-ups (TcpSocket.sync), not data.
//
// Both sides can write the whole region and either may be buggy or
// hostile, so each keeps its own index privately and only publishes it;
// the peer's index is read once per operation and checked (a producer
// claiming more than the ring holds, a consumer freeing bytes never
// written: Err::Corrupt, nothing moves). Offsets are taken modulo the
// ring size, so no value the peer writes reaches outside the ring. The
// bytes themselves are opaque: a consumer copies them out before use.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"
#include "lib/net/frame_ring.h"

namespace capos::net {

constexpr uint32_t STREAM_RING_BYTES = 64 * 1024;  // per direction, a power of two
constexpr uint32_t STREAM_RINGS_MAGIC = 0x52545363; // "cSTR"

// netd's word on the receive side's end, in StreamRings::rx_end. Written
// after the last byte's tail is published, never taken back.
enum class StreamEnd : uint32_t { Open = 0, Eof = 1, Reset = 2 };

struct StreamRings {
  uint32_t magic;
  uint32_t bytes;          // STREAM_RING_BYTES, for a sanity check by the mapper
  RingIndex rx_head, rx_tail, tx_head, tx_tail;
  // netd: 1 while received bytes wait for room in rx; the client takes it
  // (exchange to 0) after freeing room and then wakes netd with a sync.
  RingIndex rx_blocked;
  RingIndex rx_end;        // a StreamEnd
  alignas(4096) uint8_t rx[STREAM_RING_BYTES];
  uint8_t tx[STREAM_RING_BYTES];
};
constexpr size_t STREAM_RINGS_PAGES = (sizeof(StreamRings) + 4095) / 4096;

// Writes the header of a fresh (zeroed) region.
void init_stream_rings(StreamRings& r);
// Whether a region handed over by the peer has the expected header.
bool stream_rings_valid(const StreamRings& r);

// Up to two pieces of ring memory in stream order (the second is empty
// unless the range wraps).
struct RingPieces {
  MutBytes first, second;
  size_t size() const { return first.size() + second.size(); }
};

// The producing end of one byte ring.
class StreamProducer {
 public:
  StreamProducer() = default;
  StreamProducer(RingIndex& head, RingIndex& tail, uint8_t* data);
  static StreamProducer rx(StreamRings& r) { return StreamProducer(r.rx_head, r.rx_tail, r.rx); }
  static StreamProducer tx(StreamRings& r) { return StreamProducer(r.tx_head, r.tx_tail, r.tx); }
  // The free room, to be filled and then published with commit().
  // Corrupt: the consumer's head is not within what was produced.
  Result<RingPieces> room() const;
  // Publishes n bytes written into the last room() (clipped to it).
  void commit(size_t n);
  // Copies as much of `data` as fits; returns how much.
  Result<size_t> push(Bytes data);
  // Bytes produced and not yet consumed (Corrupt as for room()).
  Result<uint32_t> queued() const;

 private:
  RingIndex* head_ = nullptr;
  RingIndex* tail_ = nullptr;
  uint8_t* data_ = nullptr;
  uint32_t tail_mine_ = 0;
  mutable uint32_t room_ = 0;  // size of the last room()
};

// The consuming end of one byte ring.
class StreamConsumer {
 public:
  StreamConsumer() = default;
  StreamConsumer(RingIndex& head, RingIndex& tail, uint8_t* data);
  static StreamConsumer rx(StreamRings& r) { return StreamConsumer(r.rx_head, r.rx_tail, r.rx); }
  static StreamConsumer tx(StreamRings& r) { return StreamConsumer(r.tx_head, r.tx_tail, r.tx); }
  // The queued bytes (still in shared memory: the producer may rewrite
  // them, so copy before interpreting), freed with consume().
  // Corrupt: the producer claims more than the ring holds.
  Result<RingPieces> ready() const;
  // Frees n bytes of the last ready() (clipped to it).
  void consume(size_t n);
  // Copies up to out.size() queued bytes and frees them; returns how many.
  Result<size_t> pop(MutBytes out);

 private:
  RingIndex* head_ = nullptr;
  RingIndex* tail_ = nullptr;
  uint8_t* data_ = nullptr;
  uint32_t head_mine_ = 0;
  mutable uint32_t ready_ = 0;  // size of the last ready()
};

}  // namespace capos::net
