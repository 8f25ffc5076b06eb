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

fs::FsStatus device_error(Err e) {
  (void)e;
  return fs::fs_fail(Err::Failed, "the block device reported an error");
}

}  // namespace

fs::FsStatus DeviceStore::open(rt::Cap<wire::BlockDevice> dev) {
  dev_ = dev;
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
  return {};
}

fs::FsStatus DeviceStore::read(uint64_t block, uint32_t count, MutBytes out) {
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
