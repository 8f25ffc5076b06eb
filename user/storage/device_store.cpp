#include "user/storage/device_store.h"

#include "user/rt/transport.h"

namespace capos::storage {

namespace wire = schema::wire;
using BD = wire::BlockDevice::Client;

namespace {

constexpr uint32_t kChunk = wire::MAX_BLOCK_TRANSFER_BYTES;
static_assert(kChunk % fs::kBlockSize == 0, "a transfer holds whole filesystem blocks");

// One device call at a time (fsd serves one call at a time).
alignas(8) uint8_t g_params[kChunk + 512];
alignas(8) uint8_t g_reply[kChunk + 512];
// The windows when there is no FrameAllocator (or the driver has no bulk
// transfers).
alignas(4096) uint8_t g_plain[2][kPlainWindowBlocks * fs::kBlockSize];

fs::FsStatus device_error(Err e) {
  (void)e;
  return fs::fs_fail(Err::Failed, "the block device reported an error");
}

}  // namespace

fs::FsStatus DeviceStore::open(rt::Cap<wire::BlockDevice> dev, rt::Cap<wire::FrameAllocator> frames) {
  dev_ = dev;
  for (int w = 0; w < 2; ++w) win_[w] = MutBytes(g_plain[w], sizeof(g_plain[w]));
  capnp::FixedMessageBuilder params(MutBytes(g_params, sizeof(g_params)));
  capnp::Response resp(MutBytes(g_reply, sizeof(g_reply)));
  if (!BD::infoParams(params)) return fs::fs_fail(Err::Failed, "cannot build a BlockDevice call");
  auto r = BD(&rt::transport(), dev_).info(params, resp);
  if (!r) return device_error(r.error());
  auto info = r->getInfo();
  if (!info) return fs::fs_fail(Err::Corrupt, "malformed BlockDevice.info reply");
  uint32_t sector = info->getBlockSize();
  if (sector == 0 || sector > fs::kBlockSize || fs::kBlockSize % sector != 0)
    return fs::fs_fail(Err::Unsupported, "device block size does not divide 4096");
  sectors_per_block_ = fs::kBlockSize / sector;
  blocks_ = info->getBlockCount() / sectors_per_block_;
  read_only_ = info->getReadOnly();
  auto model = info->getModel();
  if (model) {
    model_len_ = min(model->size(), sizeof(model_));
    memcpy(model_, model->ptr, model_len_);
  }
  if (!frames || blocks_ == 0) return {};
  // Bulk windows, if the frames and the driver allow (a driver without
  // bulk transfers answers the probe read unimplemented): otherwise the
  // plain path, which is slower but complete.
  for (int w = 0; w < 2; ++w) {
    auto b = blk::alloc_buffer(frames, kBulkBlocks * (fs::kBlockSize / 4096));
    if (!b) return {};
    mem_[w] = *b;
  }
  bulk_ = true;
  for (int w = 0; w < 2; ++w) win_[w] = MutBytes(mem_[w].va, size_t{kBulkBlocks} * fs::kBlockSize);
  if (!bulk_call(false, 0, 1, 0, win_[0].data())) {
    bulk_ = false;
    for (int w = 0; w < 2; ++w) win_[w] = MutBytes(g_plain[w], sizeof(g_plain[w]));
  }
  return {};
}

int DeviceStore::window_of(const uint8_t* p, size_t bytes) const {
  if (!bulk_) return -1;
  for (int w = 0; w < 2; ++w)
    if (p >= win_[w].data() && bytes <= win_[w].size() &&
        static_cast<size_t>(p - win_[w].data()) <= win_[w].size() - bytes)
      return w;
  return -1;
}

fs::FsStatus DeviceStore::bulk_call(bool write, uint64_t block, uint32_t count, int window, const uint8_t* p) {
  uint64_t offset = static_cast<uint64_t>(p - win_[window].data());
  Status st = write ? blk::write_bulk(dev_, block * sectors_per_block_, count * sectors_per_block_,
                                      mem_[window].memory, offset)
                    : blk::read_bulk(dev_, block * sectors_per_block_, count * sectors_per_block_,
                                     mem_[window].memory, offset);
  if (!st) return device_error(st.error());
  return {};
}

fs::FsStatus DeviceStore::read(uint64_t block, uint32_t count, MutBytes out) {
  size_t bytes = size_t{count} * fs::kBlockSize;
  if (count > kChunk / fs::kBlockSize)
    if (int w = window_of(out.data(), bytes); w >= 0) return bulk_call(false, block, count, w, out.data());
  for (uint32_t done = 0; done < count;) {
    uint32_t n = min<uint32_t>(count - done, kChunk / fs::kBlockSize);
    capnp::FixedMessageBuilder params(MutBytes(g_params, sizeof(g_params)));
    capnp::Response resp(MutBytes(g_reply, sizeof(g_reply)));
    auto p = BD::readParams(params);
    if (!p) return fs::fs_fail(Err::Failed, "cannot build a BlockDevice call");
    p->setLba((block + done) * sectors_per_block_);
    p->setBlocks(n * sectors_per_block_);
    auto r = BD(&rt::transport(), dev_).read(params, resp);
    if (!r) return device_error(r.error());
    auto d = r->getData();
    if (!d || d->size() != size_t{n} * fs::kBlockSize) return fs::fs_fail(Err::Corrupt, "short read from the device");
    memcpy(out.data() + size_t{done} * fs::kBlockSize, d->data(), d->size());
    done += n;
  }
  return {};
}

fs::FsStatus DeviceStore::write(uint64_t block, uint32_t count, Bytes data) {
  if (read_only_) return fs::fs_fail(Err::PermissionDenied, "the device is read-only");
  size_t bytes = size_t{count} * fs::kBlockSize;
  if (count > kChunk / fs::kBlockSize)
    if (int w = window_of(data.data(), bytes); w >= 0) return bulk_call(true, block, count, w, data.data());
  for (uint32_t done = 0; done < count;) {
    uint32_t n = min<uint32_t>(count - done, kChunk / fs::kBlockSize);
    capnp::FixedMessageBuilder params(MutBytes(g_params, sizeof(g_params)));
    capnp::Response resp(MutBytes(g_reply, sizeof(g_reply)));
    auto p = BD::writeParams(params);
    if (!p) return fs::fs_fail(Err::Failed, "cannot build a BlockDevice call");
    p->setLba((block + done) * sectors_per_block_);
    if (!p->setData(Bytes(data.data() + size_t{done} * fs::kBlockSize, size_t{n} * fs::kBlockSize)))
      return fs::fs_fail(Err::Failed, "cannot build a BlockDevice call");
    auto r = BD(&rt::transport(), dev_).write(params, resp);
    if (!r) return device_error(r.error());
    done += n;
  }
  return {};
}

fs::FsStatus DeviceStore::flush() {
  capnp::FixedMessageBuilder params(MutBytes(g_params, sizeof(g_params)));
  capnp::Response resp(MutBytes(g_reply, sizeof(g_reply)));
  if (!BD::flushParams(params)) return fs::fs_fail(Err::Failed, "cannot build a BlockDevice call");
  auto r = BD(&rt::transport(), dev_).flush(params, resp);
  if (!r) return device_error(r.error());
  return {};
}

}  // namespace capos::storage
