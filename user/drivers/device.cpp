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

// The one result cap of a call, checked to carry `iface`.
Result<uint32_t> result_cap(const uint8_t* rbuf, uint32_t index, uint64_t iface) {
  if (index != 0) return fail(Err::Corrupt);
  abi::CapTransferRecord rec;
  __builtin_memcpy(&rec, rbuf + rt::transport().last_result(), sizeof(rec));
  if (rec.interface_id != iface) return fail(Err::Corrupt);
  return rec.cap_id;
}

}  // namespace

StrView last_error() { return rt::transport().last_exception(); }

Result<Found> find_device(uint32_t manager, uint16_t vendor, Span<const uint16_t> devices) {
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

Result<uint32_t> claim(uint32_t manager, uint8_t bus, uint8_t dev, uint8_t fn) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceManager::Client::claimParams(c.params));
  auto a = CAPOS_TRY(p.initAddress());
  a.setBus(bus);
  a.setDevice(dev);
  a.setFunction(fn);
  auto res = CAPOS_TRY(wire::DeviceManager::Client(&rt::transport(), manager).claim(c.params, c.resp));
  return result_cap(c.rbuf, CAPOS_TRY(res.getDevice()), wire::DeviceMmio::kInterfaceId);
}

Result<uint32_t> read_config(uint32_t mmio, uint16_t offset) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::readConfigParams(c.params));
  p.setOffset(offset);
  return CAPOS_TRY(wire::DeviceMmio::Client(&rt::transport(), mmio).readConfig(c.params, c.resp)).getValue();
}

Result<uint64_t> map_bar(uint32_t mmio, uint8_t bar, uint64_t offset, uint64_t size) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::mapParams(c.params));
  p.setBar(bar);
  p.setOffset(offset);
  p.setSize(size);
  return CAPOS_TRY(wire::DeviceMmio::Client(&rt::transport(), mmio).map(c.params, c.resp)).getAddr();
}

Status unmap_bar(uint32_t mmio, uint64_t addr) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::unmapParams(c.params));
  p.setAddr(addr);
  (void)CAPOS_TRY(wire::DeviceMmio::Client(&rt::transport(), mmio).unmap(c.params, c.resp));
  return {};
}

Result<uint32_t> route_interrupt(uint32_t mmio, uint16_t entry) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::interruptParams(c.params));
  p.setEntry(entry);
  auto res = CAPOS_TRY(wire::DeviceMmio::Client(&rt::transport(), mmio).interrupt(c.params, c.resp));
  return result_cap(c.rbuf, CAPOS_TRY(res.getIrq()), wire::Interrupt::kInterfaceId);
}

Result<uint32_t> dma_pool(uint32_t mmio, uint32_t max_pages) {
  Call c;
  auto p = CAPOS_TRY(wire::DeviceMmio::Client::dmaPoolParams(c.params));
  p.setMaxPages(max_pages);
  auto res = CAPOS_TRY(wire::DeviceMmio::Client(&rt::transport(), mmio).dmaPool(c.params, c.resp));
  return result_cap(c.rbuf, CAPOS_TRY(res.getPool()), wire::DmaPool::kInterfaceId);
}

Result<uint64_t> wait_interrupt(uint32_t irq) {
  Call c;
  (void)CAPOS_TRY(wire::Interrupt::Client::waitParams(c.params));
  return CAPOS_TRY(wire::Interrupt::Client(&rt::transport(), irq).wait(c.params, c.resp)).getCount();
}

Result<DmaBuffer> dma_alloc(uint32_t pool, uint32_t pages) {
  if (pages == 0 || pages > DmaBuffer::MAX_PAGES) return fail(Err::InvalidArgument);
  DmaBuffer b;
  {
    Call c;
    auto p = CAPOS_TRY(wire::DmaPool::Client::allocateParams(c.params));
    p.setPageCount(pages);
    auto res = CAPOS_TRY(wire::DmaPool::Client(&rt::transport(), pool).allocate(c.params, c.resp));
    auto iovas = CAPOS_TRY(res.getIovas());
    if (iovas.size() != pages) return fail(Err::Corrupt);
    for (uint32_t i = 0; i < pages; ++i) b.iova[i] = iovas[i];
    b.memory = CAPOS_TRY(result_cap(c.rbuf, CAPOS_TRY(res.getBuffer()), wire::MemoryObject::kInterfaceId));
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

}  // namespace capos::drivers
