// BlockDevice bulk transfers (readBulk / writeBulk: data in a MemoryObject
// the caller attaches, up to maxBulkTransferBytes per call), shared by
// fsd (its device I/O and File's bulk calls), blktest (checks) and
// blkbench (figures). docs/devices.md, docs/storage.md.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "schema/devices.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::blk {

// A MemoryObject from `frames`, mapped read-write here.
struct Buffer {
  rt::Cap<schema::wire::MemoryObject> memory;
  uint8_t* va = nullptr;
  uint64_t bytes = 0;
};
Result<Buffer> alloc_buffer(rt::Cap<schema::wire::FrameAllocator> frames, uint32_t pages);

// Someone else's MemoryObject (attached to a call): its size, a mapping
// of it here (read-only unless `writable`), and the unmapping.
Result<uint64_t> memory_size(rt::Cap<schema::wire::MemoryObject> m);
Result<uint8_t*> map_memory(rt::Cap<schema::wire::MemoryObject> m, bool writable);
Status unmap_memory(rt::Cap<schema::wire::MemoryObject> m, uint8_t* at);

// One bulk call with `buffer` attached (a copy of the cap; an invalid cap
// attaches nothing, `attach` replaces it with any other cap).
Status read_bulk(rt::Cap<schema::wire::BlockDevice> dev, uint64_t lba, uint32_t blocks,
                 rt::Cap<schema::wire::MemoryObject> buffer, uint64_t offset);
Status write_bulk(rt::Cap<schema::wire::BlockDevice> dev, uint64_t lba, uint32_t blocks,
                  rt::Cap<schema::wire::MemoryObject> buffer, uint64_t offset);
Status bulk_call_attaching(rt::Cap<schema::wire::BlockDevice> dev, bool write, uint64_t lba, uint32_t blocks,
                           uint32_t attach, uint64_t offset);

// Up to MAX_ASYNC bulk reads in flight: submit into async slot `i`, then
// wait for any (returns its slot).
constexpr uint32_t MAX_ASYNC = 8;
Status submit_read_bulk(uint32_t i, rt::Cap<schema::wire::BlockDevice> dev, uint64_t lba, uint32_t blocks,
                        rt::Cap<schema::wire::MemoryObject> buffer, uint64_t offset);
Result<uint32_t> reap_bulk(uint32_t in_use);

}  // namespace capos::blk
