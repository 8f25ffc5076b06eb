#include "user/drivers/virtio.h"

#include "lib/pci/config.h"

namespace capos::drivers::virtio {

namespace {

// virtio_pci_cap.cfg_type
constexpr uint8_t CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4;

// Common configuration registers (virtio 1.x 4.1.4.3).
namespace cc {
constexpr uint32_t DEVICE_FEATURE_SELECT = 0x00, DEVICE_FEATURE = 0x04, DRIVER_FEATURE_SELECT = 0x08,
                   DRIVER_FEATURE = 0x0C, CONFIG_MSIX = 0x10, NUM_QUEUES = 0x12, STATUS = 0x14,
                   QUEUE_SELECT = 0x16, QUEUE_SIZE = 0x18, QUEUE_MSIX = 0x1A, QUEUE_ENABLE = 0x1C,
                   QUEUE_NOTIFY_OFF = 0x1E, QUEUE_DESC = 0x20, QUEUE_DRIVER = 0x28, QUEUE_DEVICE = 0x30;
}

template <class T> T rd(volatile uint8_t* base, uint32_t off) { return *reinterpret_cast<volatile T*>(base + off); }
template <class T> void wr(volatile uint8_t* base, uint32_t off, T v) { *reinterpret_cast<volatile T*>(base + off) = v; }

// Maps the page-aligned window holding [off, off+len) of `bar`; returns
// the address of `off` itself.
Result<volatile uint8_t*> map_window(rt::Cap<schema::wire::DeviceMmio> mmio, uint8_t bar, uint32_t off, uint32_t len) {
  uint64_t lo = off & ~0xFFFull, hi = (uint64_t{off} + len + 0xFFF) & ~0xFFFull;
  uint64_t va = CAPOS_TRY(map_bar(mmio, bar, lo, hi - lo));
  return reinterpret_cast<volatile uint8_t*>(va + (off - lo));
}

}  // namespace

Result<Transport> Transport::open(rt::Cap<schema::wire::DeviceMmio> mmio) {
  Transport t;
  uint32_t status = CAPOS_TRY(read_config(mmio, pci::reg::COMMAND)) >> 16;
  if (!(status & pci::STATUS_CAP_LIST)) return fail(Err::Unsupported);
  uint8_t ptr = CAPOS_TRY(read_config(mmio, pci::reg::CAP_PTR)) & 0xFC;
  for (int guard = 0; ptr && guard < 48; ++guard) {
    uint32_t h = CAPOS_TRY(read_config(mmio, ptr));
    uint8_t next = (h >> 8) & 0xFC;
    if ((h & 0xFF) == pci::cap_id::VENDOR) {
      uint8_t type = (h >> 24) & 0xFF;
      uint32_t w1 = CAPOS_TRY(read_config(mmio, static_cast<uint16_t>(ptr + 4)));
      uint8_t bar = w1 & 0xFF;
      uint32_t off = CAPOS_TRY(read_config(mmio, static_cast<uint16_t>(ptr + 8)));
      uint32_t len = CAPOS_TRY(read_config(mmio, static_cast<uint16_t>(ptr + 12)));
      // The first capability of each type is the preferred one.
      if (type == CAP_COMMON && !t.common) {
        t.common = CAPOS_TRY(map_window(mmio, bar, off, len));
      } else if (type == CAP_NOTIFY && !t.notify) {
        t.notify = CAPOS_TRY(map_window(mmio, bar, off, len));
        t.notify_multiplier = CAPOS_TRY(read_config(mmio, static_cast<uint16_t>(ptr + 16)));
      } else if (type == CAP_ISR && !t.isr) {
        t.isr = CAPOS_TRY(map_window(mmio, bar, off, len));
      } else if (type == CAP_DEVICE && !t.device) {
        t.device = CAPOS_TRY(map_window(mmio, bar, off, len));
        t.device_len = len;
      }
    }
    ptr = next;
  }
  if (!t.common || !t.notify || !t.device) return fail(Err::Unsupported);
  return t;
}

uint8_t Transport::device_status() const { return rd<uint8_t>(common, cc::STATUS); }
void Transport::set_status(uint8_t s) { wr<uint8_t>(common, cc::STATUS, s); }

Status Transport::set_config_vector(uint16_t vector) {
  wr<uint16_t>(common, cc::CONFIG_MSIX, vector);
  if (rd<uint16_t>(common, cc::CONFIG_MSIX) != vector) return fail(Err::Failed);
  return {};
}

Result<uint64_t> Transport::negotiate(uint64_t wanted) {
  set_status(0);  // reset; the device reads back 0 when done
  for (int i = 0; i < 1000000 && device_status() != 0; ++i) __builtin_ia32_pause();
  if (device_status() != 0) return fail(Err::Failed);
  set_status(status::ACKNOWLEDGE);
  set_status(status::ACKNOWLEDGE | status::DRIVER);
  uint64_t offered = 0;
  for (uint32_t sel = 0; sel < 2; ++sel) {
    wr<uint32_t>(common, cc::DEVICE_FEATURE_SELECT, sel);
    offered |= uint64_t{rd<uint32_t>(common, cc::DEVICE_FEATURE)} << (32 * sel);
  }
  if (!(offered & F_VERSION_1)) return fail(Err::Unsupported);
  uint64_t accepted = (wanted & offered) | F_VERSION_1;
  for (uint32_t sel = 0; sel < 2; ++sel) {
    wr<uint32_t>(common, cc::DRIVER_FEATURE_SELECT, sel);
    wr<uint32_t>(common, cc::DRIVER_FEATURE, static_cast<uint32_t>(accepted >> (32 * sel)));
  }
  set_status(status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK);
  if (!(device_status() & status::FEATURES_OK)) return fail(Err::Unsupported);
  wr<uint16_t>(common, cc::CONFIG_MSIX, NO_VECTOR);
  return accepted;
}

Status Queue::init(Transport& t, rt::Cap<schema::wire::DmaPool> pool, uint16_t index, uint16_t vector) {
  t_ = &t;
  index_ = index;
  if (index >= rd<uint16_t>(t.common, cc::NUM_QUEUES)) return fail(Err::NotFound);
  wr<uint16_t>(t.common, cc::QUEUE_SELECT, index);
  uint16_t max = rd<uint16_t>(t.common, cc::QUEUE_SIZE);
  if (max == 0) return fail(Err::NotFound);
  size_ = max < MAX_SIZE ? max : MAX_SIZE;
  if (size_ & (size_ - 1)) return fail(Err::Unsupported);  // split rings want a power of two
  ring_ = CAPOS_TRY(dma_alloc(pool, 1));
  desc_ = reinterpret_cast<volatile Desc*>(ring_.va);
  avail_ = reinterpret_cast<volatile uint16_t*>(ring_.va + 1024);
  used_ = reinterpret_cast<volatile uint16_t*>(ring_.va + 2048);
  for (uint16_t i = 0; i < size_; ++i) next_[i] = static_cast<uint16_t>(i + 1);
  free_head_ = 0;
  free_count_ = size_;
  wr<uint16_t>(t.common, cc::QUEUE_SIZE, size_);
  wr<uint16_t>(t.common, cc::QUEUE_MSIX, vector);
  if (rd<uint16_t>(t.common, cc::QUEUE_MSIX) != vector) return fail(Err::Failed);  // no vector for us
  wr<uint64_t>(t.common, cc::QUEUE_DESC, ring_.iova_at(0));
  wr<uint64_t>(t.common, cc::QUEUE_DRIVER, ring_.iova_at(1024));
  wr<uint64_t>(t.common, cc::QUEUE_DEVICE, ring_.iova_at(2048));
  notify_off_ = rd<uint16_t>(t.common, cc::QUEUE_NOTIFY_OFF);
  wr<uint16_t>(t.common, cc::QUEUE_ENABLE, 1);
  return {};
}

Result<uint16_t> Queue::submit(const Desc* chain, uint16_t n) {
  if (n == 0 || n > free_count_) return fail(Err::Overloaded);
  uint16_t head = free_head_;
  uint16_t id = head;
  for (uint16_t i = 0; i < n; ++i) {
    uint16_t next = next_[id];  // our own free list, never the device-visible copy
    desc_[id].addr = chain[i].addr;
    desc_[id].len = chain[i].len;
    desc_[id].flags = static_cast<uint16_t>(chain[i].flags | (i + 1 < n ? DESC_NEXT : 0));
    if (i + 1 < n) desc_[id].next = next;
    else free_head_ = next;
    id = next;
  }
  free_count_ = static_cast<uint16_t>(free_count_ - n);
  chain_len_[head] = n;
  avail_[2 + (avail_idx_ % size_)] = head;
  __atomic_thread_fence(__ATOMIC_RELEASE);  // descriptors before the index
  avail_idx_ = static_cast<uint16_t>(avail_idx_ + 1);
  avail_[1] = avail_idx_;
  return head;
}

void Queue::notify() {
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  wr<uint16_t>(t_->notify, notify_off_ * t_->notify_multiplier, index_);
}

Result<bool> Queue::take_used(uint16_t* head, uint32_t* len) {
  uint16_t idx = used_[1];
  if (idx == used_seen_) return false;
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  auto* ring = reinterpret_cast<volatile uint32_t*>(used_ + 2);
  uint32_t slot = used_seen_ % size_;
  uint32_t id = ring[2 * slot], n = ring[2 * slot + 1];
  used_seen_ = static_cast<uint16_t>(used_seen_ + 1);
  if (id >= size_ || chain_len_[id] == 0) return fail(Err::Corrupt);
  // Return the chain to the free list (walk it by our own count, not the
  // device's flags).
  uint16_t last = static_cast<uint16_t>(id);
  for (uint16_t i = 1; i < chain_len_[id]; ++i) last = next_[last];
  next_[last] = free_head_;
  free_head_ = static_cast<uint16_t>(id);
  free_count_ = static_cast<uint16_t>(free_count_ + chain_len_[id]);
  chain_len_[id] = 0;
  *head = static_cast<uint16_t>(id);
  *len = n;
  return true;
}

}  // namespace capos::drivers::virtio
