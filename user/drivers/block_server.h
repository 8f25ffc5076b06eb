// An asynchronous BlockDevice server for storage drivers: up to
// MAX_SLOTS calls are received and in flight on the device at once (one
// RECV posted per free slot), each answered by its own RETURN when the
// device completes it, in completion order. The driver supplies a
// BlockBackend: per-slot DMA buffers, start a request in a slot, reap
// finished slots. Every request is checked (block_checks.h) before the
// backend sees it. Bulk calls (readBulk/writeBulk, up to 1 MiB) bring the
// caller's MemoryObject: at a page-aligned offset the server pins those
// pages into the device's DMA domain while the request is out, so the
// device reads or writes the caller's memory in place (zero-copy);
// otherwise (or when the pin is refused) it maps the buffer and copies
// between it and one of the backend's bulk DMA buffers, and a bulk call
// that finds every bulk buffer busy waits in its slot until one frees.
// docs/devices.md.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"
#include "user/drivers/chunk_tracker.h"
#include "user/drivers/device.h"
#include "schema/devices.capnp.capos.h"
#include "schema/ipc.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::drivers {

enum class BlockOp : uint8_t { Read, Write, Flush, Discard };

struct BlockRequest {
  BlockOp op;
  uint64_t lba;
  uint32_t blocks;
  // Read/Write only: index of the bulk buffer holding the data, or -1 for
  // the slot's own buffer (at most maxBlockTransferBytes).
  int32_t bulk = -1;
  // A bulk request DMA'd in place: the device addresses of the caller's
  // pinned pages (page i holds bytes i*4096..), bulk is -1 then.
  const uint64_t* pinned = nullptr;
  // Device address of data page `page` of a bulk request.
  template <class B> uint64_t page_iova(const B& buffers, uint32_t page) const {
    return pinned ? pinned[page] : buffers[bulk].chunk[page / (BULK_CHUNK_BYTES_ / 4096)].iova[page % (BULK_CHUNK_BYTES_ / 4096)];
  }
  static constexpr uint32_t BULK_CHUNK_BYTES_ = 256 * 1024;
};

// A bulk buffer: maxBulkTransferBytes of DmaPool pages in BULK_CHUNKS
// allocations of BULK_CHUNK_BYTES, each one device command's data.
constexpr uint32_t BULK_CHUNK_BYTES = BlockRequest::BULK_CHUNK_BYTES_;
constexpr uint32_t BULK_CHUNKS = schema::wire::MAX_BULK_TRANSFER_BYTES / BULK_CHUNK_BYTES;
static_assert(BULK_CHUNK_BYTES / 4096 == DmaBuffer::MAX_PAGES);
struct BulkBuffer {
  DmaBuffer chunk[BULK_CHUNKS];
};
Result<BulkBuffer> bulk_alloc(rt::Cap<schema::wire::DmaPool> pool);

class BlockBackend {
 public:
  static constexpr uint32_t MAX_SLOTS = ChunkTracker::MAX_SLOTS;
  virtual uint32_t slots() const = 0;  // 1..MAX_SLOTS
  virtual rt::Cap<schema::wire::Interrupt> irq() const = 0;  // signals completions
  virtual uint64_t block_count() const = 0;
  virtual uint32_t block_size() const = 0;
  virtual bool read_only() const = 0;
  virtual bool can_discard() const = 0;
  virtual const char* model() const = 0;
  // The slot's device-visible data buffer (maxBlockTransferBytes).
  virtual MutBytes slot_buffer(uint32_t slot) = 0;
  // Bulk buffers (0: readBulk/writeBulk answer unimplemented) and one
  // chunk of one of them.
  virtual uint32_t bulk_buffers() const = 0;
  virtual MutBytes bulk_chunk(uint32_t buffer, uint32_t chunk) = 0;
  // The pool bulk callers' buffers are pinned into for zero-copy DMA
  // (an invalid cap: always copy through the bulk buffers).
  virtual rt::Cap<schema::wire::DmaPool> pin_pool() const = 0;
  // Starts `r` in `slot` (a write's data is already in slot_buffer).
  virtual Status start(uint32_t slot, const BlockRequest& r) = 0;
  // One finished slot if any (`done` false: none), with its outcome (a
  // failure's code carries a static detail for the caller). Errors mean the
  // device broke its protocol (e.g. completed something not outstanding):
  // the server stops.
  using Reaped = SlotReaped;
  virtual Result<Reaped> reap() = 0;

 protected:
  ~BlockBackend() = default;
};

// Serves BlockDevice on the owner facet `endpoint` forever; returns only
// when the ring or the device fails. `*max_in_flight` (if given) records
// the most requests the device held at once; each new maximum is also
// printed ("<model>: N requests in flight").
Status serve_block(rt::Cap<schema::wire::Endpoint> endpoint, BlockBackend& backend, uint32_t* max_in_flight = nullptr);

}  // namespace capos::drivers
