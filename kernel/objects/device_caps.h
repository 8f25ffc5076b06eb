// Device authority (schema/devices.capnp, docs/devices.md):
//   DeviceManager  every enumerated PCI function; claim() -> DeviceMmio
//   DeviceMmio     one claimed function: its memory BARs (uncached, minus
//                  the MSI-X table pages), config reads, MSI-X vectors,
//                  its DmaPool. The claim ends with the last reference.
//   Interrupt      one MSI-X vector; the handler only counts, EOIs and
//                  raises deferred::DEVICE_IRQ; a pending wait completes
//                  at the deferred-work point.
//   DmaPool        pages the device may reach, charged to the allocating
//                  process; bus mastering is switched off before they go.
#pragma once

#include "kernel/arch/x86_64/idt.h"
#include "kernel/cap/kernel_cap.h"
#include "kernel/objects/memory_object_cap.h"
#include "kernel/dev/iommu.h"
#include "kernel/dev/pci.h"
#include "kernel/proc/exit_watch.h"
#include "kernel/ipc/endpoint.h"
#include "kernel/sched/kernel_lock.h"
#include "schema/devices.capnp.capos.h"

namespace capos {

class DeviceManagerCap final : public HeapKernelCap<DeviceManagerCap>, public schema::wire::DeviceManager::Server {
 public:
  using DM = schema::wire::DeviceManager;
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status list(DM::ListParams::Reader p, DM::ListResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status claim(DM::ClaimParams::Reader p, DM::ClaimResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status narrow(DM::NarrowParams::Reader p, DM::NarrowResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

  struct Match {
    uint16_t vendor, device;
  };
  static constexpr uint32_t MAX_MATCHES = schema::wire::MAX_DEVICE_MATCHES;

 private:
  DeviceManagerCap() : HeapKernelCap(ObjType::DeviceManager) {}
  friend class HeapKernelCap<DeviceManagerCap>;
  // Whether this manager covers `d` (a whole manager covers every function).
  bool covers(const pci::Device& d) const;
  bool covers(Match m) const;
  // 0: the whole manager (the kernel's, held by init); else the functions
  // matching one of matches_[0..match_count_).
  uint32_t match_count_ = 0;
  Match matches_[MAX_MATCHES] = {};
};

class DeviceMmioCap final : public HeapKernelCap<DeviceMmioCap>, public schema::wire::DeviceMmio::Server {
 public:
  using DMM = schema::wire::DeviceMmio;
  static constexpr uint32_t MAX_MSIX_ROUTES = 256;  // entries one claim may route

  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status info(DMM::InfoParams::Reader p, DMM::InfoResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status readConfig(DMM::ReadConfigParams::Reader p, DMM::ReadConfigResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status map(DMM::MapParams::Reader p, DMM::MapResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status unmap(DMM::UnmapParams::Reader p, DMM::UnmapResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status interrupt(DMM::InterruptParams::Reader p, DMM::InterruptResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status dmaPool(DMM::DmaPoolParams::Reader p, DMM::DmaPoolResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;

  pci::Device& device() const { return *dev_; }
  // MSI-X table entry `entry` (kernel mapping); null without MSI-X.
  volatile uint32_t* msix_entry(uint16_t entry) const;
  void set_bus_master(bool on);
  void release_route(uint16_t entry) { routed_[entry / 8] &= static_cast<uint8_t>(~(1u << (entry % 8))); }
  ~DeviceMmioCap();

 private:
  explicit DeviceMmioCap(pci::Device& d) : HeapKernelCap(ObjType::DeviceMmio), dev_(&d) {}
  friend class HeapKernelCap<DeviceMmioCap>;
  friend class DeviceManagerCap;
  Status start();  // enables decoding, maps the MSI-X table for the kernel
  pci::Device* dev_;
  uint64_t msix_table_va_ = 0;
  bool has_pool_ = false;
  uint8_t routed_[MAX_MSIX_ROUTES / 8] = {};
};

class InterruptCap final : public HeapKernelCap<InterruptCap>,
                           public schema::wire::Interrupt::Server,
                           public DeferredOwner {
 public:
  using IRQ = schema::wire::Interrupt;
  // Routes `entry` of `dev` to a free vector and unmasks it.
  // With interrupt remapping the entry names an IRTE bound to this
  // function's requester id.
  static Result<Ref<KObject>> create(Ref<DeviceMmioCap> dev, uint16_t entry) CAPOS_REQUIRES(g_kernel_lock);
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status wait(IRQ::WaitParams::Reader p, IRQ::WaitResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  void cancel(IpcCall* c) CAPOS_REQUIRES(g_kernel_lock) override;
  // Deferred work (deferred::DEVICE_IRQ): completes waits whose vector fired.
  static void deliver() CAPOS_REQUIRES(g_kernel_lock);
  ~InterruptCap();

 private:
  InterruptCap(Ref<DeviceMmioCap> dev, uint16_t entry, uint8_t vector, uint16_t irte)
      : HeapKernelCap(ObjType::Interrupt), dev_(dev), entry_(entry), vector_(vector), irte_(irte) {}
  friend class HeapKernelCap<InterruptCap>;
  static void on_irq(arch::InterruptFrame& f);
  void complete(uint64_t count) CAPOS_REQUIRES(g_kernel_lock);
  DeviceMmioCap& mmio() const { return *dev_.get(); }

  Ref<DeviceMmioCap> dev_;  // keeps the claim (and its MSI-X table mapping) alive
  uint16_t entry_;
  uint8_t vector_;
  uint16_t irte_;              // remapping table entry (0: compatibility format)
  uint64_t fired_ = 0;         // incremented by the handler, swapped to 0 by deliver()
  IpcCall* waiter_ = nullptr;  // the pending wait, if any
};

class DmaPoolCap final : public HeapKernelCap<DmaPoolCap>, public schema::wire::DmaPool::Server {
 public:
  using DP = schema::wire::DmaPool;
  static constexpr uint32_t MAX_BUFFERS = 64;
  // Device addresses of an isolated pool start here (page i of the pool,
  // counting across allocations, is at IOVA_BASE + i * 4096).
  static constexpr uint64_t IOVA_BASE = 0x10000000;
  // With an active IOMMU the device gets its own domain (nothing mapped
  // yet); `owner` is stopped if the device faults.
  static Result<Ref<KObject>> create(Ref<DeviceMmioCap> dev, uint32_t max_pages, Ref<ExitWatch> owner);
  void invoke(CallContext& ctx) CAPOS_REQUIRES(g_kernel_lock) override;
  Status allocate(DP::AllocateParams::Reader p, DP::AllocateResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status info(DP::InfoParams::Reader p, DP::InfoResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status pin(DP::PinParams::Reader p, DP::PinResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  Status unpin(DP::UnpinParams::Reader p, DP::UnpinResults::Builder r) CAPOS_REQUIRES(g_kernel_lock) override;
  // Pins of other processes' MemoryObjects (dma_pin.cpp): pin i is at
  // PIN_BASE + i * PIN_STRIDE in an isolated pool's domain.
  static constexpr uint32_t MAX_PINS = schema::wire::MAX_DMA_PINS;
  static constexpr uint64_t PIN_BASE = 0x40000000;
  static constexpr uint64_t PIN_STRIDE = uint64_t{schema::wire::MAX_DMA_PIN_PAGES} * 4096;
  ~DmaPoolCap();

 private:
  DmaPoolCap(Ref<DeviceMmioCap> dev, uint32_t max_pages, Ref<ExitWatch> owner)
      : HeapKernelCap(ObjType::DmaPool), dev_(dev), max_pages_(max_pages), owner_(owner) {}
  friend class HeapKernelCap<DmaPoolCap>;
  static void on_fault(void* self, uint64_t iova, uint8_t reason, bool write);
  DeviceMmioCap& mmio() const { return *dev_.get(); }
  Ref<DeviceMmioCap> dev_;
  uint32_t max_pages_;
  uint32_t used_pages_ = 0;
  Ref<ExitWatch> owner_;
  iommu::Domain* domain_ = nullptr;  // null: not isolated (dmaWithoutIommu)
  bool faulted_ = false;
  uint32_t buffer_count_ = 0;
  Ref<KObject> buffers_[MAX_BUFFERS];  // every buffer stays until the pool goes
  struct Pin {
    Ref<MemoryObjectCap> object;  // null: free slot
    uint32_t pages = 0;
    uint8_t generation = 0;  // part of the handle: a stale handle names no pin
  };
  void drop_pin(uint32_t slot) CAPOS_REQUIRES(g_kernel_lock);
  Pin pins_[MAX_PINS];
  bool window_ready_ = false;  // the pin window's IOMMU tables exist (charged below)
  FrameCharge window_charge_;
};

// DMA policy at boot: whether DmaPools may exist without an IOMMU
// (kernelParams.dmaWithoutIommu).
void devices_set_dma_without_iommu(bool allowed);
bool devices_dma_without_iommu();

}  // namespace capos
