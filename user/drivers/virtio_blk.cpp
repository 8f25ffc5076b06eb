// vblk: the virtio-blk driver (modern virtio-pci, one split virtqueue)
// as a userspace service. Claims the first unclaimed virtio-blk function
// through its "devices" DeviceManager, keeps every device-visible byte in
// the function's DmaPool, waits for completions on an MSI-X Interrupt,
// and serves BlockDevice on its "block" endpoint. Every request is
// checked against the disk size and the transfer limit before it reaches
// the device. docs/devices.md.
#include "lib/core/cstring.h"
#include "schema/ipc.capnp.capos.h"
#include "user/drivers/block_checks.h"
#include "user/drivers/device.h"
#include "user/drivers/virtio.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"

using namespace capos;
using namespace capos::drivers;
namespace wire = capos::schema::wire;

namespace {

constexpr uint64_t F_RO = 1ull << 5, F_FLUSH = 1ull << 9, F_DISCARD = 1ull << 13;
// The device translates its DMA through the platform IOMMU (virtio 1.x 6):
// our addresses are IOVAs from the DmaPool, whatever the platform does.
constexpr uint64_t F_ACCESS_PLATFORM = 1ull << 33;
constexpr uint32_t T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_DISCARD = 11;
constexpr uint8_t S_OK = 0, S_UNSUPP = 2;
constexpr uint32_t SECTOR = 512;
constexpr uint32_t DATA_PAGES = wire::MAX_BLOCK_TRANSFER_BYTES / 4096;

struct Header {
  uint32_t type;
  uint32_t reserved;
  uint64_t sector;
};

class VirtioBlk final : public wire::BlockDevice::Server {
 public:
  Status start(uint32_t manager) {
    static const uint16_t ids[] = {0x1042, 0x1001};  // modern, transitional
    Found f = CAPOS_TRY(find_device(manager, 0x1AF4, Span<const uint16_t>(ids, 2)));
    mmio_ = CAPOS_TRY(claim(manager, f.bus, f.dev, f.fn));
    t_ = CAPOS_TRY(virtio::Transport::open(mmio_));
    features_ = CAPOS_TRY(t_.negotiate(F_RO | F_FLUSH | F_DISCARD | F_ACCESS_PLATFORM));
    pool_ = CAPOS_TRY(dma_pool(mmio_, 16));
    irq_ = CAPOS_TRY(route_interrupt(mmio_, 0));
    CAPOS_TRY_STATUS(q_.init(t_, pool_, 0, 0));
    meta_ = CAPOS_TRY(dma_alloc(pool_, 1));
    data_ = CAPOS_TRY(dma_alloc(pool_, DATA_PAGES));
    t_.set_status(virtio::status::ACKNOWLEDGE | virtio::status::DRIVER | virtio::status::FEATURES_OK |
                  virtio::status::DRIVER_OK);
    capacity_ = *reinterpret_cast<volatile uint64_t*>(t_.device);  // config: capacity in 512-byte sectors
    rt::printf("vblk: virtio-blk {:02x}:{:02x}.{} ready: {} sectors{}{}{}\n", f.bus, f.dev, f.fn, capacity_,
               features_ & F_RO ? ", read-only" : "", features_ & F_FLUSH ? ", flush" : "",
               features_ & F_DISCARD ? ", discard" : "");
    return {};
  }

  Status info(wire::BlockDevice::InfoParams::Reader, wire::BlockDevice::InfoResults::Builder r) override {
    auto i = CAPOS_TRY(r.initInfo());
    i.setBlockSize(SECTOR);
    i.setBlockCount(capacity_);
    i.setReadOnly(features_ & F_RO);
    i.setMaxInFlight(1);
    return i.setModel("virtio-blk");
  }

  Status read(wire::BlockDevice::ReadParams::Reader p, wire::BlockDevice::ReadResults::Builder r) override {
    uint64_t lba = p.getLba();
    uint32_t blocks = p.getBlocks();
    if (const char* why = check_transfer(lba, blocks, capacity_, SECTOR)) return refuse(Err::InvalidArgument, why);
    uint32_t bytes = blocks * SECTOR;
    CAPOS_TRY_STATUS(io(T_IN, lba, bytes, true));
    MutBytes out = CAPOS_TRY(r.initData(bytes));
    memcpy(out.data(), data_.va, bytes);
    return {};
  }

  Status write(wire::BlockDevice::WriteParams::Reader p, wire::BlockDevice::WriteResults::Builder) override {
    Bytes in = CAPOS_TRY(p.getData());
    if (const char* why = check_payload(in.size(), SECTOR)) return refuse(Err::InvalidArgument, why);
    if (const char* why = check_transfer(p.getLba(), static_cast<uint32_t>(in.size() / SECTOR), capacity_, SECTOR))
      return refuse(Err::InvalidArgument, why);
    if (features_ & F_RO) return refuse(Err::Failed, "the disk is read-only");
    memcpy(data_.va, in.data(), in.size());
    return io(T_OUT, p.getLba(), static_cast<uint32_t>(in.size()), false);
  }

  Status flush(wire::BlockDevice::FlushParams::Reader, wire::BlockDevice::FlushResults::Builder) override {
    if (!(features_ & F_FLUSH)) return {};  // no volatile cache to flush: writes are already durable
    return io(T_FLUSH, 0, 0, false);
  }

  Status discard(wire::BlockDevice::DiscardParams::Reader p, wire::BlockDevice::DiscardResults::Builder) override {
    uint64_t lba = p.getLba();
    uint32_t blocks = p.getBlocks();
    if (const char* why = check_range(lba, blocks, capacity_)) return refuse(Err::InvalidArgument, why);
    if (!(features_ & F_DISCARD)) return refuse(Err::Unsupported, "the device has no discard");
    struct {
      uint64_t sector;
      uint32_t sectors;
      uint32_t flags;
    } seg{lba, blocks, 0};
    memcpy(data_.va, &seg, sizeof(seg));
    return io(T_DISCARD, 0, sizeof(seg), false);
  }

 private:
  Status refuse(Err e, StrView why) {
    rt::set_error_message(why);
    return fail(e);
  }

  // One request: header, data (in our DMA pages, one descriptor per
  // page), status; waits for its completion.
  Status io(uint32_t type, uint64_t sector, uint32_t bytes, bool device_writes) {
    Header h{type, 0, sector};
    memcpy(meta_.va, &h, sizeof(h));
    meta_.va[64] = 0xFF;
    virtio::Desc chain[2 + DATA_PAGES];
    uint16_t n = 0;
    chain[n++] = virtio::Desc{meta_.iova_at(0), sizeof(Header), 0, 0};
    for (uint32_t off = 0; off < bytes; off += 4096) {
      uint32_t len = bytes - off < 4096 ? bytes - off : 4096;
      chain[n++] = virtio::Desc{data_.iova_at(off), len, device_writes ? virtio::DESC_WRITE : uint16_t{0}, 0};
    }
    chain[n++] = virtio::Desc{meta_.iova_at(64), 1, virtio::DESC_WRITE, 0};
    uint16_t head = CAPOS_TRY(q_.submit(chain, n));
    q_.notify();
    for (;;) {
      uint16_t done;
      uint32_t len;
      if (CAPOS_TRY(q_.take_used(&done, &len))) {
        if (done != head) return refuse(Err::Failed, "device completed a request that was not outstanding");
        break;
      }
      if (t_.device_status() & virtio::status::NEEDS_RESET) return refuse(Err::Failed, "device needs reset");
      CAPOS_TRY(wait_interrupt(irq_));
    }
    uint8_t st = meta_.va[64];
    if (st == S_OK) return {};
    if (st == S_UNSUPP) return refuse(Err::Unsupported, "the device does not support this request");
    return refuse(Err::Failed, "the device reported an I/O error");
  }

  uint32_t mmio_ = 0, pool_ = 0, irq_ = 0;
  virtio::Transport t_;
  virtio::Queue q_;
  DmaBuffer meta_, data_;
  uint64_t features_ = 0;
  uint64_t capacity_ = 0;
};

VirtioBlk g_blk;

}  // namespace

int main() {
  auto devices = rt::capset_find("devices", wire::DeviceManager::kInterfaceId);
  auto ep = rt::capset_find("block", wire::Endpoint::kInterfaceId);
  if (!devices || !ep) {
    rt::print("vblk: needs `devices` (DeviceManager) and `block` (Endpoint)\n");
    return 2;
  }
  if (Status st = g_blk.start(*devices); !st) {
    rt::printf("vblk: cannot start: {} ({})\n", err_name(st.error()), last_error());
    return 3;
  }
  Status st = rt::serve(*ep, g_blk);
  rt::printf("vblk: serving stopped: {}\n", err_name(st.error()));
  return 4;
}
