// PCI configuration space of one function, parsed into what the kernel
// needs to hand out device authority: identity, BARs (base and size), and
// the capability list (MSI, MSI-X and the rest by id and offset).
//
// Config space is untrusted input: a device (or a hostile emulator) can
// present any bytes. Every pointer is bounds-checked, the capability walk
// is bounded, BAR sizes must be powers of two that do not wrap, and an
// MSI-X table must lie inside the memory BAR it names -- the kernel relies
// on that to keep the table out of a driver's mappings. Portable: the
// kernel backs ConfigAccess with ECAM, host tests and the fuzzer with an
// in-memory image (tests/host/pci).
#pragma once

#include <stdint.h>

#include "lib/core/result.h"

namespace capos::pci {

// Reads and writes of one function's 4 KiB extended config space.
// Offsets are 4-byte aligned and below CONFIG_SIZE.
class ConfigAccess {
 public:
  virtual uint32_t read32(uint16_t off) = 0;
  virtual void write32(uint16_t off, uint32_t value) = 0;

 protected:
  ~ConfigAccess() = default;
};

constexpr uint16_t CONFIG_SIZE = 4096;
constexpr uint16_t VENDOR_NONE = 0xFFFF;

// Config-space register offsets (PCI Local Bus 3.0, section 6.1).
namespace reg {
constexpr uint16_t ID = 0x00;        // vendor (low 16) | device (high 16)
constexpr uint16_t COMMAND = 0x04;   // command (low 16) | status (high 16)
constexpr uint16_t CLASS = 0x08;     // revision | prog-if | subclass | class
constexpr uint16_t HEADER = 0x0C;    // ... | header type (bits 16..23)
constexpr uint16_t BAR0 = 0x10;
constexpr uint16_t BUS_NUMBERS = 0x18;  // type 1: primary | secondary | subordinate
constexpr uint16_t CAP_PTR = 0x34;
constexpr uint16_t INTERRUPT = 0x3C;  // line | pin
}  // namespace reg

namespace cmd {
constexpr uint16_t IO = 1u << 0;
constexpr uint16_t MEMORY = 1u << 1;
constexpr uint16_t BUS_MASTER = 1u << 2;
constexpr uint16_t INTX_DISABLE = 1u << 10;
}  // namespace cmd

constexpr uint16_t STATUS_CAP_LIST = 1u << 4;

namespace cap_id {
constexpr uint8_t MSI = 0x05;
constexpr uint8_t VENDOR = 0x09;
constexpr uint8_t PCIE = 0x10;
constexpr uint8_t MSIX = 0x11;
}  // namespace cap_id

enum class BarKind : uint8_t { None, Mem32, Mem64, Io };

struct Bar {
  BarKind kind = BarKind::None;
  bool prefetchable = false;
  uint64_t base = 0;
  uint64_t size = 0;  // a power of two, or 0 when kind == None
};

struct MsiInfo {
  bool present = false;
  uint8_t offset = 0;
  bool is64 = false;
  bool maskable = false;
  uint8_t max_vectors = 0;  // 1..32
};

struct MsixInfo {
  bool present = false;
  uint8_t offset = 0;
  uint16_t table_size = 0;  // entries, 1..2048
  uint8_t table_bar = 0;
  uint32_t table_offset = 0;
  uint8_t pba_bar = 0;
  uint32_t pba_offset = 0;
};

struct Capability {
  uint8_t id;
  uint8_t offset;
};

struct Function {
  static constexpr uint32_t MAX_CAPS = 32;
  static constexpr uint32_t MAX_BARS = 6;

  uint16_t vendor = 0, device = 0;
  uint8_t class_code = 0, subclass = 0, prog_if = 0, revision = 0;
  uint8_t header_type = 0;  // 0 device, 1 PCI-to-PCI bridge
  bool multifunction = false;
  uint8_t irq_pin = 0;
  uint8_t secondary_bus = 0, subordinate_bus = 0;  // bridges only
  uint8_t bar_count = 0;                            // 6 for devices, 2 for bridges
  Bar bars[MAX_BARS];
  MsiInfo msi;
  MsixInfo msix;
  uint8_t cap_count = 0;
  Capability caps[MAX_CAPS];

  // The capability with `id` found at or after list position `from` (for
  // repeated ids such as virtio's vendor capabilities); null if none.
  const Capability* find_cap(uint8_t id, uint32_t from = 0) const;
};

// Reads the function's identity, sizes its BARs (memory and I/O decoding
// are switched off while all-ones is written, then the original BARs and
// command register are restored) and walks the capability list.
// Errors: NotFound when no function answers (vendor 0xFFFF or 0);
// Unsupported for header types other than 0 and 1; Corrupt for a
// capability pointer outside [0x40, 0x100) or misaligned, a list longer
// than MAX_CAPS (a loop), a 64-bit BAR in the last slot, a BAR size that
// is not a power of two or wraps, or an MSI-X table/PBA outside its BAR.
Result<Function> probe(ConfigAccess& cfg);

// True when [offset, offset + len) of `bar` lies inside it.
bool bar_contains(const Bar& bar, uint64_t offset, uint64_t len);

const char* class_name(uint8_t class_code, uint8_t subclass);

}  // namespace capos::pci
