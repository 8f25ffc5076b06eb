// dmaevil: a driver that makes its device DMA outside its pool (QEMU tests
// qemu.iommu_dma_fault and qemu.iommu_driver_crash, with -device
// intel-iommu). It sets up virtio-blk honestly (transport, one queue and a
// request header in its DmaPool), then asks the device to read a block
// into IOVA 0x100000, which the pool never handed out. The IOMMU must
// fault that DMA, the kernel must report it and stop this process:
// reaching the end of main is a failure. Given a "block" endpoint it
// first serves BlockDevice and does the stray DMA inside the first read,
// so that read is in flight when the driver is stopped.
#include "lib/core/cstring.h"
#include "user/drivers/device.h"
#include "user/drivers/virtio.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"
#include "user/rt/server.h"
#include "schema/ipc.capnp.capos.h"

using namespace capos;
using namespace capos::drivers;
namespace wire = capos::schema::wire;

namespace {
constexpr uint64_t F_ACCESS_PLATFORM = 1ull << 33;
constexpr uint64_t OUTSIDE = 0x100000;  // an IOVA this pool never handed out

Status stray_dma(rt::Cap<wire::DeviceManager> manager) {
  static const uint16_t ids[] = {0x1042};
  Found f = CAPOS_TRY(find_device(manager, 0x1AF4, Span<const uint16_t>(ids, 1)));
  auto mmio = CAPOS_TRY(claim(manager, f.bus, f.dev, f.fn));
  virtio::Transport t = CAPOS_TRY(virtio::Transport::open(mmio));
  (void)CAPOS_TRY(t.negotiate(F_ACCESS_PLATFORM));
  auto pool = CAPOS_TRY(dma_pool(mmio, 4));
  auto irq = CAPOS_TRY(route_interrupt(mmio, 0));
  virtio::Queue q;
  CAPOS_TRY_STATUS(q.init(t, pool, 0, 0));
  DmaBuffer meta = CAPOS_TRY(dma_alloc(pool, 1));
  t.set_status(virtio::status::ACKNOWLEDGE | virtio::status::DRIVER | virtio::status::FEATURES_OK |
               virtio::status::DRIVER_OK);
  rt::printf("dmaevil: pool pages at iova {:#x}, asking the device to write 4096 bytes at iova {:#x}\n",
             meta.iova_at(0), OUTSIDE);
  struct {
    uint32_t type, reserved;
    uint64_t sector;
  } hdr{0 /* IN: the device writes memory */, 0, 0};
  memcpy(meta.va, &hdr, sizeof(hdr));
  virtio::Desc chain[3] = {{meta.iova_at(0), 16, 0, 0},
                           {OUTSIDE, 4096, virtio::DESC_WRITE, 0},
                           {meta.iova_at(64), 1, virtio::DESC_WRITE, 0}};
  (void)CAPOS_TRY(q.submit(chain, 3));
  q.notify();
  // The kernel stops us while we wait. On two CPUs the device's completion
  // interrupt (its status byte is in the pool) can arrive before the fault
  // report does: harmless, as long as the stop follows. Still running after
  // three is the failure main() reports.
  for (int i = 0; i < 3; ++i) {
    auto n = wait_interrupt(irq);
    rt::printf("dmaevil: completion before the stop ({})\n", n ? "fired" : err_name(n.error()));
  }
  return {};
}
// A BlockDevice whose first read is the stray DMA.
class EvilBlock final : public wire::BlockDevice::Server {
 public:
  rt::Cap<wire::DeviceManager> manager;
  Status info(wire::BlockDevice::InfoParams::Reader, wire::BlockDevice::InfoResults::Builder r) override {
    auto i = CAPOS_TRY(r.initInfo());
    i.setBlockSize(512);
    i.setBlockCount(16384);
    i.setMaxInFlight(1);
    return i.setModel("dmaevil");
  }
  Status read(wire::BlockDevice::ReadParams::Reader, wire::BlockDevice::ReadResults::Builder) override {
    rt::print("dmaevil: serving a read with a stray DMA\n");
    return stray_dma(manager);
  }
};
EvilBlock g_evil;

}  // namespace

int main() {
  auto devices = rt::capset_find<wire::DeviceManager>("devices");
  if (!devices) return 2;
  Status st;
  if (auto ep = rt::capset_find<wire::Endpoint>("block")) {
    g_evil.manager = *devices;
    st = rt::serve(*ep, g_evil);
  } else {
    st = stray_dma(*devices);
  }
  rt::printf("dmaevil: FAILED: still running after the stray DMA ({})\n", st ? "ok" : err_name(st.error()));
  return 1;
}
