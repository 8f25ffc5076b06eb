// Physical memory-map vocabulary shared by boot parsing, the frame
// allocator and host tests.
#pragma once

#include <stdint.h>

namespace capos {

constexpr uint64_t PAGE_SIZE = 4096;
constexpr uint64_t PAGE_SHIFT = 12;
constexpr uint64_t LARGE_PAGE_SIZE = 2ull << 20;

enum class MemType : uint8_t { Usable, Reserved, AcpiReclaimable, AcpiNvs, Bad };

struct MemRegion {
  uint64_t base;
  uint64_t length;
  MemType type;
  uint64_t end() const { return base + length; }
};

// A physical range [base, base+length) that must never be handed out.
struct PhysRange {
  uint64_t base;
  uint64_t length;
};

// E820 type numbers, as both the PVH memory map and the Multiboot2 mmap
// tag carry them; anything unknown is reserved.
constexpr MemType e820_type(uint32_t t) {
  switch (t) {
    case 1: return MemType::Usable;
    case 3: return MemType::AcpiReclaimable;
    case 4: return MemType::AcpiNvs;
    case 5: return MemType::Bad;
    default: return MemType::Reserved;
  }
}

constexpr const char* mem_type_name(MemType t) {
  switch (t) {
    case MemType::Usable: return "usable";
    case MemType::Reserved: return "reserved";
    case MemType::AcpiReclaimable: return "acpi-reclaimable";
    case MemType::AcpiNvs: return "acpi-nvs";
    case MemType::Bad: return "bad";
  }
  return "?";
}

}  // namespace capos
