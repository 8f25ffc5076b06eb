// lib/fs's BlockStore over a BlockDevice capability: 4 KiB filesystem
// blocks as runs of the device's 512-byte sectors. Given a FrameAllocator,
// fsd owns two MemoryObjects (its read-ahead window and its write batch,
// lib/fs/batch_store.h): a transfer of more than one message's worth whose
// bytes lie in one of them goes by readBulk/writeBulk with that object
// attached, one call for up to kBulkBlocks blocks. Everything else moves at
// most maxBlockTransferBytes per call inside the message.
#pragma once

#include "lib/fs/fs.h"
#include "schema/devices.capnp.capos.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/cap.h"
#include "user/storage/blk_bulk.h"

namespace capos::storage {

// Blocks in each bulk window (256 KiB: one device command of the drivers).
// The driver maps the whole object at every bulk call, so a larger window
// costs page-table work even when a call moves little.
constexpr uint32_t kBulkBlocks = 64;
// Blocks in each window without bulk transfers (static memory).
constexpr uint32_t kPlainWindowBlocks = 16;

class DeviceStore final : public fs::BlockStore {
 public:
  // Asks the device for its geometry; refuses sectors that do not divide
  // a filesystem block.
  // `frames` may be invalid: then no bulk transfers, and the windows are
  // small static buffers.
  fs::FsStatus open(rt::Cap<schema::wire::BlockDevice> dev, rt::Cap<schema::wire::FrameAllocator> frames);
  uint64_t block_count() const override { return blocks_; }
  fs::FsStatus read(uint64_t block, uint32_t count, MutBytes out) override;
  fs::FsStatus write(uint64_t block, uint32_t count, Bytes data) override;
  fs::FsStatus flush() override;
  bool read_only() const { return read_only_; }
  StrView model() const { return StrView(model_, model_len_); }
  bool bulk() const { return bulk_; }
  // The memory BatchStore reads ahead into and gathers writes in.
  MutBytes read_window() const { return win_[0]; }
  MutBytes write_window() const { return win_[1]; }

 private:
  // Which window `p` (of `bytes`) lies in, or -1.
  int window_of(const uint8_t* p, size_t bytes) const;
  fs::FsStatus bulk_call(bool write, uint64_t block, uint32_t count, int window, const uint8_t* p);

  rt::Cap<schema::wire::BlockDevice> dev_;
  bool bulk_ = false;
  blk::Buffer mem_[2];
  MutBytes win_[2];
  uint64_t blocks_ = 0;
  uint32_t sectors_per_block_ = 8;
  bool read_only_ = false;
  char model_[32] = {};
  size_t model_len_ = 0;
};

}  // namespace capos::storage
