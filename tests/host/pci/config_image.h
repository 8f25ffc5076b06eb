// An in-memory PCI function for tests and the fuzzer: 4 KiB of config
// space plus, per BAR register, the mask of address bits the "device"
// implements. Writes to a BAR keep only implemented bits and the
// read-only type bits, and the status register is read-only, as on hardware, so BAR sizing reads back the
// mask; every other write is stored as is. Counts writes so tests can
// check that probing restores what it touched.
#pragma once

#include <cstdint>
#include <cstring>

#include "lib/pci/config.h"

namespace capos::pci::test {

class ConfigImage final : public ConfigAccess {
 public:
  uint8_t bytes[CONFIG_SIZE] = {};
  uint32_t bar_mask[6] = {};  // implemented bits of each BAR register (0: not implemented)
  uint32_t writes = 0;

  uint32_t read32(uint16_t off) override {
    uint32_t v;
    std::memcpy(&v, bytes + (off & 0xFFC), 4);
    return v;
  }
  void write32(uint16_t off, uint32_t value) override {
    ++writes;
    off &= 0xFFC;
    if (off >= reg::BAR0 && off < reg::BAR0 + 24) {
      uint32_t i = (off - reg::BAR0) / 4;
      uint32_t old = read32(off);
      uint32_t ro = old & ~bar_mask[i];  // type bits and unimplemented address bits stay
      value = (value & bar_mask[i]) | ro;
    }
    if (off == reg::COMMAND) value = (value & 0xFFFF) | (read32(off) & 0xFFFF0000u);  // status: read-only here
    std::memcpy(bytes + off, &value, 4);
  }

  void put8(uint16_t off, uint8_t v) { bytes[off] = v; }
  void put16(uint16_t off, uint16_t v) { std::memcpy(bytes + off, &v, 2); }
  void put32(uint16_t off, uint32_t v) { std::memcpy(bytes + off, &v, 4); }

  // A type-0 function with the capability list enabled when `caps`.
  void header(uint16_t vendor, uint16_t device, uint8_t cls, uint8_t sub, bool caps) {
    put16(0, vendor);
    put16(2, device);
    put8(0x0B, cls);
    put8(0x0A, sub);
    if (caps) put16(0x06, STATUS_CAP_LIST);
  }
  // A 32-bit memory BAR of `size` bytes (a power of two) at `base`.
  void mem32(int i, uint32_t base, uint32_t size, bool prefetch = false) {
    put32(reg::BAR0 + 4 * i, base | (prefetch ? 8u : 0u));
    bar_mask[i] = ~(size - 1);
  }
  void mem64(int i, uint64_t base, uint64_t size) {
    put32(reg::BAR0 + 4 * i, static_cast<uint32_t>(base) | 4u);
    put32(reg::BAR0 + 4 * (i + 1), static_cast<uint32_t>(base >> 32));
    uint64_t m = ~(size - 1);
    bar_mask[i] = static_cast<uint32_t>(m) & ~0xFu;
    bar_mask[i + 1] = static_cast<uint32_t>(m >> 32);
  }
  void io(int i, uint16_t base, uint16_t size) {
    put32(reg::BAR0 + 4 * i, base | 1u);
    bar_mask[i] = 0xFFFF0000u | static_cast<uint16_t>(~(size - 1) & 0xFFFC);
  }
};

}  // namespace capos::pci::test
