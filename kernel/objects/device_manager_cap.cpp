#include "kernel/objects/device_caps.h"

#include "kernel/objects/kernel_server.h"
#include "kernel/debug/log.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/paging.h"
#include "kernel/proc/process.h"
#include "lib/abi/layout.h"
#include "lib/mm/range_set.h"

namespace capos {

namespace wire = schema::wire;

namespace {

constexpr uint64_t PAGE = abi::PAGE_SIZE;
bool g_dma_without_iommu = false;

wire::BarKind bar_kind(pci::BarKind k) {
  switch (k) {
    case pci::BarKind::Mem32:
    case pci::BarKind::Mem64: return wire::BarKind::MEMORY;
    case pci::BarKind::Io: return wire::BarKind::IO;
    case pci::BarKind::None: break;
  }
  return wire::BarKind::NONE;
}

// Everything DeviceInfo says, from the boot-time probe. No addresses.
Status fill_info(const pci::Device& d, wire::DeviceInfo::Builder b) {
  auto a = CAPOS_TRY(b.initAddress());
  a.setBus(d.bus);
  a.setDevice(d.dev);
  a.setFunction(d.fn);
  const pci::Function& f = d.info;
  b.setVendorId(f.vendor);
  b.setDeviceId(f.device);
  b.setClassCode(f.class_code);
  b.setSubclass(f.subclass);
  b.setProgIf(f.prog_if);
  auto bars = CAPOS_TRY(b.initBars(f.bar_count));
  for (uint32_t i = 0; i < f.bar_count; ++i) {
    bars[i].setKind(bar_kind(f.bars[i].kind));
    bars[i].setSize(f.bars[i].size);
    bars[i].setPrefetchable(f.bars[i].prefetchable);
  }
  b.setMsixVectors(f.msix.present ? f.msix.table_size : 0);
  b.setClaimed(d.claimed);
  return {};
}

bool is_memory(const pci::Bar& b) { return b.kind == pci::BarKind::Mem32 || b.kind == pci::BarKind::Mem64; }

// True when [off, off+len) of BAR `bar` shares a page with [x_off, x_off+x_len) of BAR `x_bar`.
bool overlaps_pages(uint8_t bar, uint64_t off, uint64_t len, uint8_t x_bar, uint64_t x_off, uint64_t x_len) {
  if (bar != x_bar) return false;
  uint64_t lo = x_off & ~(PAGE - 1), hi = (x_off + x_len + PAGE - 1) & ~(PAGE - 1);
  return off < hi && lo < off + len;
}

}  // namespace

void devices_set_dma_without_iommu(bool allowed) { g_dma_without_iommu = allowed; }
bool devices_dma_without_iommu() { return g_dma_without_iommu; }

// ---- DeviceManager

void DeviceManagerCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

bool DeviceManagerCap::covers(Match m) const {
  if (match_count_ == 0) return true;
  for (uint32_t i = 0; i < match_count_; ++i)
    if (matches_[i].vendor == m.vendor && matches_[i].device == m.device) return true;
  return false;
}

bool DeviceManagerCap::covers(const pci::Device& d) const { return covers(Match{d.info.vendor, d.info.device}); }

Status DeviceManagerCap::list(DM::ListParams::Reader, DM::ListResults::Builder r) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < pci::count(); ++i) n += covers(*pci::device(i));
  auto devs = CAPOS_TRY(r.initDevices(n));
  for (uint32_t i = 0, k = 0; i < pci::count(); ++i)
    if (covers(*pci::device(i))) CAPOS_TRY_STATUS(fill_info(*pci::device(i), devs[k++]));
  return {};
}

Status DeviceManagerCap::claim(DM::ClaimParams::Reader p, DM::ClaimResults::Builder r) {
  auto a = CAPOS_TRY(p.getAddress());
  pci::Device* d = pci::find(a.getBus(), a.getDevice(), a.getFunction());
  if (!d || d->info.header_type != 0) return fail(Err::InvalidArgument);
  if (!covers(*d)) return fail(Err::PermissionDenied);  // before `claimed`: says nothing about others' devices
  if (d->claimed) return fail(Err::Busy);
  CallContext& ctx = current_call();
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  Ref<DeviceMmioCap> obj = DeviceMmioCap::create(*d);
  if (!obj) return fail(Err::Overloaded);
  CAPOS_TRY_STATUS(obj->start());
  klog("devices: {:02x}:{:02x}.{} claimed by pid {}\n", d->bus, d->dev, d->fn, ctx.caller.pid());
  r.setDevice(CAPOS_TRY(ctx.add_result(move(obj), wire::DeviceMmio::kInterfaceId)));
  return {};
}

Status DeviceManagerCap::narrow(DM::NarrowParams::Reader p, DM::NarrowResults::Builder r) {
  auto list = CAPOS_TRY(p.getMatches());
  if (list.size() == 0 || list.size() > MAX_MATCHES) return fail(Err::InvalidArgument);
  Match want[MAX_MATCHES];
  for (uint32_t i = 0; i < list.size(); ++i) {
    want[i] = Match{list[i].getVendorId(), list[i].getDeviceId()};
    if (!covers(want[i])) return fail(Err::PermissionDenied);  // authority only shrinks
  }
  CallContext& ctx = current_call();
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  Ref<DeviceManagerCap> obj = DeviceManagerCap::create();
  if (!obj) return fail(Err::Overloaded);
  DeviceManagerCap* m = obj.get();
  for (uint32_t i = 0; i < list.size(); ++i) m->matches_[i] = want[i];
  m->match_count_ = list.size();
  r.setManager(CAPOS_TRY(ctx.add_result(move(obj), wire::DeviceManager::kInterfaceId)));
  return {};
}

// ---- DeviceMmio

Status DeviceMmioCap::start() {
  dev_->claimed = true;
  const pci::Function& f = dev_->info;
  if (f.msix.present && !dev_->msix_va) {  // once per function: claims may come and go
    const pci::Bar& tb = f.bars[f.msix.table_bar];
    dev_->msix_va = CAPOS_TRY(paging::map_mmio(tb.base + f.msix.table_offset, uint64_t{f.msix.table_size} * 16));
  }
  msix_table_va_ = dev_->msix_va;
  uint32_t cmd = pci::config_read32(*dev_, pci::reg::COMMAND) & 0xFFFF;
  cmd = (cmd | pci::cmd::MEMORY) & ~uint32_t{pci::cmd::BUS_MASTER | pci::cmd::IO};
  pci::config_write32(*dev_, pci::reg::COMMAND, cmd);
  return {};
}

// The claim ends: the function stops decoding and stops mastering; MSI-X
// is switched off so a stale vector can never fire into someone else.
DeviceMmioCap::~DeviceMmioCap() {
  const pci::Function& f = dev_->info;
  if (f.msix.present) {
    uint32_t ctl = pci::config_read32(*dev_, f.msix.offset);
    pci::config_write32(*dev_, f.msix.offset, ctl & ~(1u << 31));
  }
  uint32_t cmd = pci::config_read32(*dev_, pci::reg::COMMAND) & 0xFFFF;
  pci::config_write32(*dev_, pci::reg::COMMAND,
                      cmd & ~uint32_t{pci::cmd::MEMORY | pci::cmd::BUS_MASTER | pci::cmd::IO});
  dev_->claimed = false;
  klog("devices: {:02x}:{:02x}.{} released\n", dev_->bus, dev_->dev, dev_->fn);
}

volatile uint32_t* DeviceMmioCap::msix_entry(uint16_t entry) const {
  if (!msix_table_va_) return nullptr;
  return reinterpret_cast<volatile uint32_t*>(msix_table_va_ + uint64_t{entry} * 16);
}

void DeviceMmioCap::set_bus_master(bool on) {
  uint32_t cmd = pci::config_read32(*dev_, pci::reg::COMMAND) & 0xFFFF;
  cmd = on ? (cmd | pci::cmd::BUS_MASTER) : (cmd & ~uint32_t{pci::cmd::BUS_MASTER});
  pci::config_write32(*dev_, pci::reg::COMMAND, cmd);
}

void DeviceMmioCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status DeviceMmioCap::info(DMM::InfoParams::Reader, DMM::InfoResults::Builder r) {
  return fill_info(*dev_, CAPOS_TRY(r.initInfo()));
}

Status DeviceMmioCap::readConfig(DMM::ReadConfigParams::Reader p, DMM::ReadConfigResults::Builder r) {
  uint16_t off = p.getOffset();
  if ((off & 3) || off >= pci::CONFIG_SIZE) return fail(Err::InvalidArgument);
  r.setValue(pci::config_read32(*dev_, off));
  return {};
}

Status DeviceMmioCap::map(DMM::MapParams::Reader p, DMM::MapResults::Builder r) {
  uint8_t bar = p.getBar();
  uint64_t off = p.getOffset(), size = p.getSize();
  const pci::Function& f = dev_->info;
  if (bar >= f.bar_count || !is_memory(f.bars[bar])) return fail(Err::InvalidArgument);
  if ((off | size) & (PAGE - 1) || size == 0 || size > wire::MAX_MMIO_MAP_BYTES) return fail(Err::InvalidArgument);
  if (!pci::bar_contains(f.bars[bar], off, size)) return fail(Err::InvalidArgument);
  if (f.msix.present) {
    // Only the kernel writes interrupt messages: a driver that could would
    // aim its device's MSIs at any vector of any CPU.
    if (overlaps_pages(bar, off, size, f.msix.table_bar, f.msix.table_offset, uint64_t{f.msix.table_size} * 16) ||
        overlaps_pages(bar, off, size, f.msix.pba_bar, f.msix.pba_offset, (uint64_t{f.msix.table_size} + 63) / 64 * 8))
      return fail(Err::InvalidArgument);
  }
  uint64_t pages = size / PAGE;
  auto* frames = static_cast<uint64_t*>(heap::alloc(pages * sizeof(uint64_t)));
  if (!frames) return fail(Err::Overloaded);
  for (uint64_t i = 0; i < pages; ++i) frames[i] = f.bars[bar].base + off + i * PAGE;
  AddressSpace& as = current_call().caller.address_space();
  auto addr = as.map_object(Ref<KObject>::share(this), Span<const uint64_t>(frames, pages), UserAddr(),
                            mm::kProtRead | mm::kProtWrite, /*device=*/true);
  heap::free(frames);
  r.setAddr(CAPOS_TRY(addr).raw());
  return {};
}

Status DeviceMmioCap::unmap(DMM::UnmapParams::Reader p, DMM::UnmapResults::Builder) {
  return current_call().caller.address_space().unmap_object(this, UserAddr(p.getAddr()));
}

Status DeviceMmioCap::interrupt(DMM::InterruptParams::Reader p, DMM::InterruptResults::Builder r) {
  uint16_t entry = p.getEntry();
  const pci::Function& f = dev_->info;
  if (!f.msix.present) return fail(Err::Unsupported);
  if (entry >= f.msix.table_size || entry >= MAX_MSIX_ROUTES) return fail(Err::InvalidArgument);
  if (routed_[entry / 8] & (1u << (entry % 8))) return fail(Err::InvalidArgument);
  CallContext& ctx = current_call();
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  Ref<KObject> irq = CAPOS_TRY(InterruptCap::create(Ref<DeviceMmioCap>::share(this), entry));
  routed_[entry / 8] |= static_cast<uint8_t>(1u << (entry % 8));
  r.setIrq(CAPOS_TRY(ctx.add_result(move(irq), wire::Interrupt::kInterfaceId)));
  return {};
}

Status DeviceMmioCap::dmaPool(DMM::DmaPoolParams::Reader p, DMM::DmaPoolResults::Builder r) {
  uint32_t max_pages = p.getMaxPages();
  if (max_pages == 0 || max_pages > wire::MAX_DMA_POOL_PAGES || has_pool_) return fail(Err::InvalidArgument);
  bool isolated = iommu::active();
  if (!isolated && !devices_dma_without_iommu()) {
    klog("devices: DMA for {:02x}:{:02x}.{} refused: no IOMMU isolation and kernelParams.dmaWithoutIommu is off\n",
         dev_->bus, dev_->dev, dev_->fn);
    return fail(Err::Unsupported);
  }
  CallContext& ctx = current_call();
  CAPOS_TRY_STATUS(ctx.reserve_results(1));
  Ref<KObject> pool = CAPOS_TRY(DmaPoolCap::create(Ref<DeviceMmioCap>::share(this), max_pages, ctx.caller.share_watch()));
  if (isolated)
    klog("devices: DMA pool for {:02x}:{:02x}.{}: own IOMMU domain, device confined to its pool\n", dev_->bus,
         dev_->dev, dev_->fn);
  else
    klog("devices: WARNING: DMA pool for {:02x}:{:02x}.{} without IOMMU isolation: the device can reach all "
         "memory\n", dev_->bus, dev_->dev, dev_->fn);
  has_pool_ = true;
  set_bus_master(true);
  r.setPool(CAPOS_TRY(ctx.add_result(move(pool), wire::DmaPool::kInterfaceId)));
  return {};
}

}  // namespace capos
