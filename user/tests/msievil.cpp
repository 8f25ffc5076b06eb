// msievil: a driver that makes its device forge MSIs by DMA (QEMU tests
// qemu.iommu_msi_forge and qemu.iommu_msi_forge_unremapped, with -device
// intel-iommu). An MSI is only a 4-byte memory write to 0xFEE0xxxx, so any
// device that can DMA can write one. It sets up virtio-blk honestly,
// writes block 0 (four dwords of 0x7E, a vector nobody owns), then reads
// block 0 back with its first 16 bytes aimed at 0xFEE00010..0xFEE0001F:
// the device itself writes four interrupt messages. With interrupt
// remapping they name IRTEs 0, 32768, 126 and 32894, none of which the
// kernel made, and the unit drops them; the legitimate completion
// interrupts (MSI-X through this function's own IRTE) keep arriving and
// the driver ends with "PASSED". Without remapping the same bytes are
// compatibility-format messages for vector 0x7E, which the kernel has
// never routed: it stops with "unexpected interrupt vector 126".
#include "lib/core/cstring.h"
#include "user/drivers/device.h"
#include "user/drivers/virtio.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "user/rt/rt.h"

using namespace capos;
using namespace capos::drivers;
namespace wire = capos::schema::wire;

namespace {
constexpr uint64_t F_ACCESS_PLATFORM = 1ull << 33;
constexpr uint64_t MSI_WINDOW = 0xFEE00010;  // remappable-format bit (4) set for the first dword
constexpr uint32_t FORGED = 0x7E;            // vector (or sub-handle) the forged messages carry
constexpr uint32_t T_IN = 0, T_OUT = 1;

struct Driver {
  virtio::Transport t;
  virtio::Queue q;
  rt::Cap<wire::Interrupt> irq;
  DmaBuffer buf;  // 0: request header, 64: status byte, 1024: 512-byte data block
  uint64_t interrupts = 0;

  // One request; waits for its completion interrupt and used entry.
  Status request(uint32_t type, const virtio::Desc* data, uint16_t data_n) {
    struct {
      uint32_t type, reserved;
      uint64_t sector;
    } hdr{type, 0, 0};
    memcpy(buf.va, &hdr, sizeof(hdr));
    buf.va[64] = 0xFF;
    virtio::Desc chain[4] = {{buf.iova_at(0), 16, 0, 0}};
    for (uint16_t i = 0; i < data_n; ++i) chain[1 + i] = data[i];
    chain[1 + data_n] = {buf.iova_at(64), 1, virtio::DESC_WRITE, 0};
    uint16_t head = CAPOS_TRY(q.submit(chain, static_cast<uint16_t>(data_n + 2)));
    q.notify();
    for (;;) {
      uint16_t got;
      uint32_t len;
      if (CAPOS_TRY(q.take_used(&got, &len))) {
        if (got != head) return fail(Err::Corrupt);
        break;
      }
      interrupts += CAPOS_TRY(wait_interrupt(irq));  // only the device's own MSI-X wakes us
    }
    if (buf.va[64] != 0) return fail(Err::Failed);
    return {};
  }
};

Status run(rt::Cap<wire::DeviceManager> manager) {
  static const uint16_t ids[] = {0x1042};
  Found f = CAPOS_TRY(find_device(manager, 0x1AF4, Span<const uint16_t>(ids, 1)));
  auto mmio = CAPOS_TRY(claim(manager, f.bus, f.dev, f.fn));
  Driver d;
  d.t = CAPOS_TRY(virtio::Transport::open(mmio));
  (void)CAPOS_TRY(d.t.negotiate(F_ACCESS_PLATFORM));
  auto pool = CAPOS_TRY(dma_pool(mmio, 4));
  d.irq = CAPOS_TRY(route_interrupt(mmio, 0));
  CAPOS_TRY_STATUS(d.q.init(d.t, pool, 0, 0));
  d.buf = CAPOS_TRY(dma_alloc(pool, 1));
  d.t.set_status(virtio::status::ACKNOWLEDGE | virtio::status::DRIVER | virtio::status::FEATURES_OK |
                 virtio::status::DRIVER_OK);

  uint8_t* block = d.buf.va + 1024;
  memset(block, 0, 512);
  for (int i = 0; i < 4; ++i) memcpy(block + 4 * i, &FORGED, 4);
  const virtio::Desc out[] = {{d.buf.iova_at(1024), 512, 0, 0}};
  CAPOS_TRY_STATUS(d.request(T_OUT, out, 1));
  rt::printf("msievil: block 0 written; completion interrupts so far {}\n", d.interrupts);

  rt::printf("msievil: reading block 0 with its first 16 bytes at {:#x} (forged MSIs, data {:#x})\n", MSI_WINDOW,
             FORGED);
  const virtio::Desc forge[] = {{MSI_WINDOW, 16, virtio::DESC_WRITE, 0},
                                {d.buf.iova_at(1024 + 16), 496, virtio::DESC_WRITE, 0}};
  CAPOS_TRY_STATUS(d.request(T_IN, forge, 2));
  rt::print("msievil: forged read completed\n");

  memset(block, 0, 512);
  const virtio::Desc in[] = {{d.buf.iova_at(1024), 512, virtio::DESC_WRITE, 0}};
  CAPOS_TRY_STATUS(d.request(T_IN, in, 1));
  uint32_t first;
  memcpy(&first, block, 4);
  if (first != FORGED) return fail(Err::Corrupt);
  // Every completion raised this function's MSI-X; if none was waited for
  // yet, one must already be counted (a lost legitimate MSI hangs here).
  if (d.interrupts == 0) d.interrupts += CAPOS_TRY(wait_interrupt(d.irq));
  rt::printf("msievil: block 0 read back through the pool, legitimate MSI-X still delivered\n");
  return {};
}

}  // namespace

int main() {
  auto devices = rt::capset_find<wire::DeviceManager>("devices");
  if (!devices) return 2;
  Status st = run(*devices);
  if (!st) {
    rt::printf("msievil: FAILED: {} ({})\n", err_name(st.error()), last_error());
    return 1;
  }
  rt::print("msievil: PASSED\n");
  return 0;
}
