// Modern virtio over PCI (virtio 1.x, section 4.1) for userspace drivers:
// the transport (vendor capabilities in config space -> common, notify,
// ISR and device-config windows in memory BARs) and one split virtqueue
// living in DmaPool pages. Everything the device can touch is in the
// pool; everything the device wrote is re-checked before use (a used-ring
// id or length out of range is a device fault, not an index).
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "user/drivers/device.h"

namespace capos::drivers::virtio {

namespace status {
constexpr uint8_t ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8, NEEDS_RESET = 64, FAILED = 128;
}
constexpr uint64_t F_VERSION_1 = 1ull << 32;
constexpr uint16_t NO_VECTOR = 0xFFFF;

// The four windows of a modern virtio-pci function, mapped.
struct Transport {
  volatile uint8_t* common = nullptr;
  volatile uint8_t* notify = nullptr;
  uint32_t notify_multiplier = 0;
  volatile uint8_t* isr = nullptr;
  volatile uint8_t* device = nullptr;
  uint32_t device_len = 0;

  // Finds the vendor capabilities and maps the BAR pages they name.
  static Result<Transport> open(rt::Cap<schema::wire::DeviceMmio> mmio);
  uint8_t device_status() const;
  void set_status(uint8_t s);
  // Routes configuration-change notifications (e.g. DEVICE_NEEDS_RESET,
  // virtio 1.x 2.1.2) to MSI-X entry `vector`; Failed if the device did
  // not take it (it reads back NO_VECTOR).
  Status set_config_vector(uint16_t vector);
  // reset, ACKNOWLEDGE|DRIVER, feature negotiation (VERSION_1 required,
  // `wanted` accepted where offered), FEATURES_OK checked. Returns the
  // accepted feature set.
  Result<uint64_t> negotiate(uint64_t wanted);
};

struct Desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
constexpr uint16_t DESC_NEXT = 1, DESC_WRITE = 2;

// A split virtqueue of at most MAX_SIZE entries in one DmaPool page:
// descriptors at 0, available ring at 1024, used ring at 2048.
class Queue {
 public:
  static constexpr uint16_t MAX_SIZE = 64;
  // Sets up queue `index` with MSI-X entry `vector`, from pool pages.
  Status init(Transport& t, rt::Cap<schema::wire::DmaPool> pool, uint16_t index, uint16_t vector);
  uint16_t size() const { return size_; }
  uint16_t free_count() const { return free_count_; }
  // Takes `n` chained descriptors filled from `chain` and makes the chain
  // available; returns its head id. Overloaded when too few are free.
  Result<uint16_t> submit(const Desc* chain, uint16_t n);
  void notify();
  // Takes one used entry if any: its head id and written length. Corrupt
  // if the device reported an id that is not an outstanding head.
  Result<bool> take_used(uint16_t* head, uint32_t* len);

 private:
  Transport* t_ = nullptr;
  DmaBuffer ring_;
  volatile Desc* desc_ = nullptr;
  volatile uint16_t* avail_ = nullptr;  // flags, idx, ring[size]
  volatile uint16_t* used_ = nullptr;   // flags, idx, then {u32 id, u32 len}[size]
  uint16_t size_ = 0;
  uint16_t index_ = 0;
  uint16_t notify_off_ = 0;
  uint16_t free_head_ = 0;
  uint16_t free_count_ = 0;
  uint16_t avail_idx_ = 0;
  uint16_t used_seen_ = 0;
  uint16_t chain_len_[MAX_SIZE] = {};  // per outstanding head; 0 = not outstanding
  uint16_t next_[MAX_SIZE] = {};       // descriptor chaining, kept out of the device's reach
};

}  // namespace capos::drivers::virtio
