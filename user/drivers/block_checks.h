// The BlockDevice request checks every storage driver applies before a
// request reaches its device, with the exact messages clients see
// (schema/devices.capnp BlockDevice). Overflow-safe: `lba + blocks` is
// never computed.
#pragma once

#include <stdint.h>

#include "lib/core/cstring.h"
#include "schema/devices.capnp.capos.h"

namespace capos::drivers {

// Null when [lba, lba + blocks) is a valid transfer on a disk of `count`
// blocks of `block_size` bytes; otherwise why not.
inline const char* check_transfer(uint64_t lba, uint32_t blocks, uint64_t count, uint32_t block_size) {
  if (blocks == 0 || blocks > schema::wire::MAX_BLOCK_TRANSFER_BYTES / block_size) return "blocks must be 1 to 16";
  if (lba > count || blocks > count - lba) return "range outside the disk";
  return nullptr;
}

// Null when [lba, lba + blocks) is a valid bulk transfer (readBulk,
// writeBulk) into bytes [offset, offset + blocks * block_size) of a buffer
// of `buffer_bytes`.
inline const char* check_bulk(uint64_t lba, uint32_t blocks, uint64_t count, uint32_t block_size, uint64_t offset,
                              uint64_t buffer_bytes) {
  if (blocks == 0 || blocks > schema::wire::MAX_BULK_TRANSFER_BYTES / block_size) return "blocks must be 1 to 2048";
  if (lba > count || blocks > count - lba) return "range outside the disk";
  uint64_t bytes = uint64_t{blocks} * block_size;
  if (offset > buffer_bytes || bytes > buffer_bytes - offset) return "the buffer is too small for offset and data";
  return nullptr;
}

// Null when `bytes` is a valid write payload.
inline const char* check_payload(uint64_t bytes, uint32_t block_size) {
  if (bytes == 0 || bytes % block_size || bytes > schema::wire::MAX_BLOCK_TRANSFER_BYTES)
    return "data must be 1 to 16 whole 512-byte blocks";
  return nullptr;
}

// Null when [lba, lba + blocks) lies on the disk (discard has no size limit).
inline const char* check_range(uint64_t lba, uint32_t blocks, uint64_t count) {
  if (blocks == 0 || lba > count || blocks > count - lba) return "range outside the disk";
  return nullptr;
}

}  // namespace capos::drivers
