// lib/fs's BlockStore over a BlockDevice capability: 4 KiB filesystem
// blocks as runs of the device's 512-byte sectors, moved at most
// maxBlockTransferBytes per call (the data travels inside the message).
#pragma once

#include "lib/fs/fs.h"
#include "schema/devices.capnp.capos.h"
#include "user/rt/cap.h"

namespace capos::storage {

class DeviceStore final : public fs::BlockStore {
 public:
  // Asks the device for its geometry; refuses sectors that do not divide
  // a filesystem block.
  fs::FsStatus open(rt::Cap<schema::wire::BlockDevice> dev);
  uint64_t block_count() const override { return blocks_; }
  fs::FsStatus read(uint64_t block, uint32_t count, MutBytes out) override;
  fs::FsStatus write(uint64_t block, uint32_t count, Bytes data) override;
  fs::FsStatus flush() override;
  bool read_only() const { return read_only_; }
  StrView model() const { return StrView(model_, model_len_); }

 private:
  rt::Cap<schema::wire::BlockDevice> dev_;
  uint64_t blocks_ = 0;
  uint32_t sectors_per_block_ = 8;
  bool read_only_ = false;
  char model_[32] = {};
  size_t model_len_ = 0;
};

}  // namespace capos::storage
