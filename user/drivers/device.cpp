#include "user/drivers/device.h"

#include "lib/abi/ipc.h"
#include "schema/memory.capnp.capos.h"
#include "user/rt/caps_call.h"
#include "user/rt/transport.h"

namespace capos::drivers {

namespace wire = schema::wire;

namespace {

template <size_t P, size_t R> struct CallBufs {
  alignas(8) uint8_t pbuf[P];
  alignas(8) uint8_t rbuf[R];
  capnp::FixedMessageBuilder params{MutBytes(pbuf, sizeof(pbuf))};
  capnp::Response resp{MutBytes(rbuf, sizeof(rbuf))};
};
using Call = CallBufs<256, 512>;

// The results' capability field must name result cap 0, the one
// call_for_cap returned.
Status only_cap(uint32_t index) { return index == 0 ? ok_status() : Status(fail(Err::Corrupt)); }

}  // namespace

StrView last_error() { return rt::transport().last_exception(); }

Result<Found> find_device(rt::Cap<wire::DeviceManager> manager, uint16_t vendor, Span<const uint16_t> devices) {
  CallBufs<64, 12288> c;
  (void)CAPOS_TRY(wire::DeviceManager::Client::listParams(c.params));
  auto res = CAPOS_TRY(wire::DeviceManager::Client(&rt::transport(), manager).list(c.params, c.resp));
  auto list = CAPOS_TRY(res.getDevices());
  for (uint32_t i = 0; i < list.size(); ++i) {
    auto d = list[i];
    if (d.getVendorId() != vendor || d.getClaimed()) continue;
    for (uint16_t want : devices) {
      if (d.getDeviceId() != want) continue;
      auto a = CAPOS_TRY(d.getAddress());
      return Found{a.getBus(), a.getDevice(), a.getFunction(), vendor, want};
    }
  }
  return fail(Err::NotFound);
}

Result<uint32_t> count_devices(rt::Cap<wire::DeviceManager> manager) {
  CallBufs<64, 12288> c;
  (void)CAPOS_TRY(wire::DeviceManager::Client::listParams(c.params));
  auto res = CAPOS_TRY(wire::DeviceManager::Client(&rt::transport(), manager).list(c.params, c.resp));
  return CAPOS_TRY(res.getDevices()).size();
}

Result<rt::Cap<wire::DeviceManager>> narrow(rt::Cap<wire::DeviceManager> manager, Span<const DeviceId> ids) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceManager::Client::narrowParams(c.params));
  auto list = CAPOS_TRY(p.initMatches(static_cast<uint32_t>(ids.size())));
  for (uint32_t i = 0; i < ids.size(); ++i) {
    list[i].setVendorId(ids[i].vendor);
    list[i].setDeviceId(ids[i].device);
  }
  auto dm = CAPOS_TRY(rt::call_for_cap<wire::DeviceManager>(
      manager, static_cast<uint16_t>(wire::DeviceManager::Method::NARROW), c.params, c.resp));
  wire::DeviceManager::NarrowResults::Reader res(CAPOS_TRY(c.resp.root()));
  CAPOS_TRY_STATUS(only_cap(CAPOS_TRY(res.getManager())));
  return dm;
}

Result<rt::Cap<wire::DeviceMmio>> claim(rt::Cap<wire::DeviceManager> manager, uint8_t bus, uint8_t dev, uint8_t fn) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceManager::Client::claimParams(c.params));
  auto a = CAPOS_TRY(p.initAddress());
  a.setBus(bus);
  a.setDevice(dev);
  a.setFunction(fn);
  auto mmio = CAPOS_TRY(rt::call_for_cap<wire::DeviceMmio>(
      manager, static_cast<uint16_t>(wire::DeviceManager::Method::CLAIM), c.params, c.resp));
  wire::DeviceManager::ClaimResults::Reader res(CAPOS_TRY(c.resp.root()));
  CAPOS_TRY_STATUS(only_cap(CAPOS_TRY(res.getDevice())));
  return mmio;
}

Result<uint32_t> read_config(rt::Cap<wire::DeviceMmio> mmio, uint16_t offset) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::readConfigParams(c.params));
  p.setOffset(offset);
  return CAPOS_TRY(wire::DeviceMmio::Client(&rt::transport(), mmio).readConfig(c.params, c.resp)).getValue();
}

Result<uint64_t> map_bar(rt::Cap<wire::DeviceMmio> mmio, uint8_t bar, uint64_t offset, uint64_t size) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::mapParams(c.params));
  p.setBar(bar);
  p.setOffset(offset);
  p.setSize(size);
  return CAPOS_TRY(wire::DeviceMmio::Client(&rt::transport(), mmio).map(c.params, c.resp)).getAddr();
}

Status unmap_bar(rt::Cap<wire::DeviceMmio> mmio, uint64_t addr) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::unmapParams(c.params));
  p.setAddr(addr);
  (void)CAPOS_TRY(wire::DeviceMmio::Client(&rt::transport(), mmio).unmap(c.params, c.resp));
  return {};
}

Result<rt::Cap<wire::Interrupt>> route_interrupt(rt::Cap<wire::DeviceMmio> mmio, uint16_t entry) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::interruptParams(c.params));
  p.setEntry(entry);
  auto irq = CAPOS_TRY(rt::call_for_cap<wire::Interrupt>(
      mmio, static_cast<uint16_t>(wire::DeviceMmio::Method::INTERRUPT), c.params, c.resp));
  wire::DeviceMmio::InterruptResults::Reader res(CAPOS_TRY(c.resp.root()));
  CAPOS_TRY_STATUS(only_cap(CAPOS_TRY(res.getIrq())));
  return irq;
}

Result<rt::Cap<wire::DmaPool>> dma_pool(rt::Cap<wire::DeviceMmio> mmio, uint32_t max_pages) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::dmaPoolParams(c.params));
  p.setMaxPages(max_pages);
  auto pool = CAPOS_TRY(rt::call_for_cap<wire::DmaPool>(
      mmio, static_cast<uint16_t>(wire::DeviceMmio::Method::DMA_POOL), c.params, c.resp));
  wire::DeviceMmio::DmaPoolResults::Reader res(CAPOS_TRY(c.resp.root()));
  CAPOS_TRY_STATUS(only_cap(CAPOS_TRY(res.getPool())));
  return pool;
}

Result<uint64_t> wait_interrupt(rt::Cap<wire::Interrupt> irq) {
  Call c;
  (void)CAPOS_TRY(wire::Interrupt::Client::waitParams(c.params));
  return CAPOS_TRY(wire::Interrupt::Client(&rt::transport(), irq).wait(c.params, c.resp)).getCount();
}

Result<DmaBuffer> dma_alloc(rt::Cap<wire::DmaPool> pool, uint32_t pages) {
  if (pages == 0 || pages > DmaBuffer::MAX_PAGES) return fail(Err::InvalidArgument);
  DmaBuffer b;
  {
    CallBufs<256, 1024> c;  // up to 64 IOVAs
    auto p = CAPOS_TRY(wire::DmaPool::Client::allocateParams(c.params));
    p.setPageCount(pages);
    b.memory = CAPOS_TRY(rt::call_for_cap<wire::MemoryObject>(
        pool, static_cast<uint16_t>(wire::DmaPool::Method::ALLOCATE), c.params, c.resp));
    wire::DmaPool::AllocateResults::Reader res(CAPOS_TRY(c.resp.root()));
    auto iovas = CAPOS_TRY(res.getIovas());
    if (iovas.size() != pages) return fail(Err::Corrupt);
    for (uint32_t i = 0; i < pages; ++i) b.iova[i] = iovas[i];
    CAPOS_TRY_STATUS(only_cap(CAPOS_TRY(res.getBuffer())));
  }
  Call m;
  auto p = CAPOS_TRY(wire::MemoryObject::Client::mapParams(m.params));
  p.setHint(0);
  auto prot = CAPOS_TRY(p.initProt());
  prot.setRead(true);
  prot.setWrite(true);
  uint64_t va = CAPOS_TRY(wire::MemoryObject::Client(&rt::transport(), b.memory).map(m.params, m.resp)).getAddr();
  b.va = reinterpret_cast<uint8_t*>(va);
  b.pages = pages;
  return b;
}

Status dma_pin(rt::Cap<wire::DmaPool> pool, rt::Cap<wire::MemoryObject> memory, uint64_t offset, uint32_t pages,
               bool device_writes, DmaPin* out) {
  if (pages == 0 || pages > DmaPin::MAX_PAGES) return fail(Err::InvalidArgument);
  CallBufs<128, 2304> c;  // up to 256 IOVAs
  auto p = CAPOS_TRY(wire::DmaPool::Client::pinParams(c.params));
  p.setBuffer(0);
  p.setOffset(offset);
  p.setPageCount(pages);
  p.setDeviceWrites(device_writes);
  abi::CapTransferDesc xfer[1] = {{memory.id(), abi::XFER_COPY, {0, 0, 0}}};
  uint32_t n = 0;
  CAPOS_TRY_STATUS(rt::call_with_caps(pool, static_cast<uint16_t>(wire::DmaPool::Method::PIN), c.params, c.resp,
                                      Span<const abi::CapTransferDesc>(xfer, 1), Span<abi::CapTransferRecord>(), &n));
  wire::DmaPool::PinResults::Reader res(CAPOS_TRY(c.resp.root()));
  auto iovas = CAPOS_TRY(res.getIovas());
  if (iovas.size() != pages) return fail(Err::Corrupt);
  for (uint32_t i = 0; i < pages; ++i) out->iova[i] = iovas[i];
  out->handle = res.getPin();
  out->pages = pages;
  return {};
}

Status dma_unpin(rt::Cap<wire::DmaPool> pool, uint32_t handle) {
  CallBufs<64, 64> c;
  auto p = CAPOS_TRY(wire::DmaPool::Client::unpinParams(c.params));
  p.setPin(handle);
  (void)CAPOS_TRY(wire::DmaPool::Client(&rt::transport(), pool).unpin(c.params, c.resp));
  return {};
}

}  // namespace capos::drivers
