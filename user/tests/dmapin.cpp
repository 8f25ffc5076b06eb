// dmapin: a driver that keeps using a pinned buffer after unpinning it
// (QEMU test qemu.iommu_unpin, with -device intel-iommu). It sets up
// virtio-blk honestly, takes a MemoryObject as a BlockDevice client would
// hand one over, and checks DmaPool.pin: bad pins are refused; a pinned
// page is written by the device in place (zero-copy); after unpin the
// handle is dead; all 32 pin slots can be taken and one more is refused;
// pin/unpin cycles return every frame exactly. Then it asks the device to write the unpinned IOVA
// again: the IOMMU must fault that DMA (the page stays untouched) and
// the kernel stop this process, so reaching the end of main is a failure.
#include "lib/abi/ipc.h"
#include "lib/core/cstring.h"
#include "user/drivers/device.h"
#include "user/drivers/virtio.h"
#include "user/rt/caps_call.h"
#include "user/rt/capset.h"
#include "user/rt/console.h"
#include "schema/kernel.capnp.capos.h"
#include "user/rt/rt.h"
#include "user/rt/transport.h"
#include "user/storage/blk_bulk.h"

using namespace capos;
using namespace capos::drivers;
namespace wire = capos::schema::wire;

namespace {
constexpr uint64_t F_ACCESS_PLATFORM = 1ull << 33;
int g_failures = 0;

void refused(const Status& s, Err want, StrView what) {
  if (!s && s.error() == want) {
    rt::printf("dmapin: refused {}: {}\n", what, err_name(s.error()));
    return;
  }
  ++g_failures;
  rt::printf("dmapin: FAILED: {} gave {}\n", what, s ? "success" : err_name(s.error()));
}

struct Device {
  virtio::Transport t;
  virtio::Queue q;
  rt::Cap<wire::DmaPool> pool;
  rt::Cap<wire::Interrupt> irq;
  DmaBuffer meta;
};

// Asks the device to read sector 0 (a null-co disk: zeros) into `iova`
// (the test disk is null-co with read-zeroes) and waits for its interrupt; the status byte tells how it went.
Result<uint8_t> read_into(Device& d, uint64_t iova) {
  struct {
    uint32_t type, reserved;
    uint64_t sector;
  } hdr{0 /* IN: the device writes memory */, 0, 0};
  memcpy(d.meta.va, &hdr, sizeof(hdr));
  d.meta.va[64] = 0xFF;
  virtio::Desc chain[3] = {{d.meta.iova_at(0), 16, 0, 0},
                           {iova, 4096, virtio::DESC_WRITE, 0},
                           {d.meta.iova_at(64), 1, virtio::DESC_WRITE, 0}};
  (void)CAPOS_TRY(d.q.submit(chain, 3));
  d.q.notify();
  (void)CAPOS_TRY(wait_interrupt(d.irq));
  uint16_t head;
  uint32_t len;
  if (!CAPOS_TRY(d.q.take_used(&head, &len))) return fail(Err::Failed);
  return d.meta.va[64];
}

Result<uint64_t> free_frames(rt::Cap<wire::SystemStatus> status) {
  alignas(8) uint8_t pbuf[64], rbuf[128];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  (void)CAPOS_TRY(wire::SystemStatus::Client::memoryParams(params));
  return CAPOS_TRY(wire::SystemStatus::Client(&rt::transport(), status).memory(params, resp)).getFreeFrames();
}

// DmaPool.pin with a result buffer too small for its IOVA list: the
// kernel must refuse before it pins (else the slot would leak, unnamed).
Status pin_into_small_buffer(rt::Cap<wire::DmaPool> pool, rt::Cap<wire::MemoryObject> memory) {
  alignas(8) uint8_t pbuf[128], rbuf[48];  // the reply for 4 pages takes 64
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
  auto p = CAPOS_TRY(wire::DmaPool::Client::pinParams(params));
  p.setBuffer(0), p.setOffset(0), p.setPageCount(4), p.setDeviceWrites(true);
  abi::CapTransferDesc xfer[1] = {{memory.id(), abi::XFER_COPY, {0, 0, 0}}};
  uint32_t n = 0;
  return rt::call_with_caps(pool, static_cast<uint16_t>(wire::DmaPool::Method::PIN), params, resp,
                            Span<const abi::CapTransferDesc>(xfer, 1), Span<abi::CapTransferRecord>(), &n);
}

// One round: every pin slot taken (one more is refused), then pin/unpin
// cycles of every size and direction.
constexpr uint32_t CYCLES = 200;
Status pin_round(rt::Cap<wire::DmaPool> pool, rt::Cap<wire::MemoryObject> memory, bool report) {
  static DmaPin pins[wire::MAX_DMA_PINS];
  static DmaPin extra;
  for (DmaPin& p : pins) CAPOS_TRY_STATUS(dma_pin(pool, memory, 0, 1, false, &p));
  Status more = dma_pin(pool, memory, 0, 1, false, &extra);
  if (report) refused(more, Err::Overloaded, "a pin past the pool's 32");
  else if (more) ++g_failures;
  for (DmaPin& p : pins) CAPOS_TRY_STATUS(dma_unpin(pool, p.handle));
  for (uint32_t i = 0; i < CYCLES; ++i) {
    CAPOS_TRY_STATUS(dma_pin(pool, memory, (i % 4) * 4096, 4 - i % 4, i % 2, &extra));
    CAPOS_TRY_STATUS(dma_unpin(pool, extra.handle));
  }
  return {};
}

// Two identical rounds: the free frame count after the second equals the
// count after the first exactly (the first warms this process's kernel
// caches: call records, kernel-cap scratch for the 2 KiB IOVA lists; the
// pin window's tables were made by the first pin before either).
Status pin_cycles(rt::Cap<wire::DmaPool> pool, rt::Cap<wire::MemoryObject> memory, rt::Cap<wire::SystemStatus> status) {
  CAPOS_TRY_STATUS(pin_round(pool, memory, true));
  uint64_t before = CAPOS_TRY(free_frames(status));
  CAPOS_TRY_STATUS(pin_round(pool, memory, false));
  uint64_t after = CAPOS_TRY(free_frames(status));
  rt::printf("dmapin: 32 pins then {} pin/unpin cycles, twice: free frames {} after the first round, {} after the "
             "second ({})\n", CYCLES, before, after, before == after ? "exact" : "DIFFERENT");
  if (before != after) ++g_failures;
  return {};
}

Status run(rt::Cap<wire::DeviceManager> manager, rt::Cap<wire::FrameAllocator> frames,
           rt::Cap<wire::SystemStatus> status) {
  static const uint16_t ids[] = {0x1042};
  Found f = CAPOS_TRY(find_device(manager, 0x1AF4, Span<const uint16_t>(ids, 1)));
  auto mmio = CAPOS_TRY(claim(manager, f.bus, f.dev, f.fn));
  Device d;
  d.t = CAPOS_TRY(virtio::Transport::open(mmio));
  (void)CAPOS_TRY(d.t.negotiate(F_ACCESS_PLATFORM));
  d.pool = CAPOS_TRY(dma_pool(mmio, 4));
  d.irq = CAPOS_TRY(route_interrupt(mmio, 0));
  CAPOS_TRY_STATUS(d.q.init(d.t, d.pool, 0, 0));
  d.meta = CAPOS_TRY(dma_alloc(d.pool, 1));
  d.t.set_status(virtio::status::ACKNOWLEDGE | virtio::status::DRIVER | virtio::status::FEATURES_OK |
                 virtio::status::DRIVER_OK);

  // A client's buffer: 4 pages it filled, none of them in the pool.
  blk::Buffer buf = CAPOS_TRY(blk::alloc_buffer(frames, 4));
  memset(buf.va, 0xAA, buf.bytes);
  static DmaPin pin;
  refused(dma_pin(d.pool, buf.memory, 4 * 4096, 1, true, &pin), Err::InvalidArgument, "pin past the object's end");
  refused(dma_pin(d.pool, buf.memory, 2 * 4096, 3, true, &pin), Err::InvalidArgument,
          "pin straddling the object's end");
  refused(dma_pin(d.pool, buf.memory, 100, 1, true, &pin), Err::InvalidArgument, "pin at an unaligned offset");
  refused(dma_pin(d.pool, buf.memory, ~0ull - 4095, 1, true, &pin), Err::InvalidArgument,
          "pin at offset 2^64-4096 (overflow)");
  refused(dma_pin(d.pool, rt::Cap<wire::MemoryObject>::unchecked(d.irq.id()), 0, 1, true, &pin),
          Err::InvalidArgument, "pin of an Interrupt as the buffer");
  refused(dma_unpin(d.pool, 0x1234), Err::InvalidArgument, "unpin of a handle never returned");
  refused(pin_into_small_buffer(d.pool, buf.memory), Err::Truncated,
          "pin of 4 pages answered into a 48-byte result buffer");  // no slot taken: pin_round gets all 32

  CAPOS_TRY_STATUS(dma_pin(d.pool, buf.memory, 4096, 1, true, &pin));
  uint8_t st = CAPOS_TRY(read_into(d, pin.iova[0]));
  uint32_t zeros = 0;
  for (uint32_t i = 0; i < 4096; ++i) zeros += buf.va[4096 + i] == 0;
  bool others = buf.va[0] == 0xAA && buf.va[2 * 4096] == 0xAA && buf.va[4 * 4096 - 1] == 0xAA;
  rt::printf("dmapin: device wrote the pinned page at iova {:#x} in place: status {}, {} of 4096 bytes zero, "
             "other pages {}\n",
             pin.iova[0], st, zeros, others ? "untouched" : "CHANGED");
  if (st != 0 || zeros != 4096 || !others) ++g_failures, rt::print("dmapin: FAILED: zero-copy read\n");
  uint64_t gone = pin.iova[0];
  CAPOS_TRY_STATUS(dma_unpin(d.pool, pin.handle));
  refused(dma_unpin(d.pool, pin.handle), Err::InvalidArgument, "second unpin of the same handle");
  CAPOS_TRY_STATUS(pin_cycles(d.pool, buf.memory, status));
  if (g_failures) return fail(Err::Failed);
  memset(buf.va + 4096, 0xAA, 4096);
  rt::printf("dmapin: checks passed, asking the device to write the unpinned iova {:#x}\n", gone);
  auto late = read_into(d, gone);  // the kernel stops us while we wait
  uint32_t changed = 0;
  for (uint32_t i = 0; i < 4096; ++i) changed += buf.va[4096 + i] != 0xAA;
  if (changed) {
    rt::printf("dmapin: FAILED: the device wrote {} bytes of an unpinned page ({})\n", changed,
               late ? "completed" : err_name(late.error()));
    return fail(Err::Failed);
  }
  // With two CPUs the device's completion interrupt can reach us before
  // the fault's deferred work stops us: the page is untouched, so wait to
  // be stopped (the device does nothing more; never stopped = timeout).
  for (;;) (void)wait_interrupt(d.irq);
}

}  // namespace

int main() {
  auto devices = rt::capset_find<wire::DeviceManager>("devices");
  auto frames = rt::capset_find<wire::FrameAllocator>("frames");
  auto status = rt::capset_find<wire::SystemStatus>("status");
  if (!devices || !frames || !status) return 2;
  Status st = run(*devices, *frames, *status);
  rt::printf("dmapin: FAILED: {}\n", err_name(st.error()));
  return 1;
}
