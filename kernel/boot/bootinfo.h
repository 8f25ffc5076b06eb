// Boot-protocol-neutral description of what the loader handed us. Filled
// from the PVH start_info (QEMU -kernel) or the Multiboot2 info (GRUB);
// everything is copied out so the loader's structures can be reused.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "kernel/mm/memmap.h"
#include "lib/core/result.h"

namespace capos {

struct BootModule {
  uint64_t phys;
  uint64_t size;
};

struct BootInfo {
  static constexpr size_t MAX_REGIONS = 128;
  static constexpr size_t MAX_MODULES = 8;
  static constexpr size_t CMDLINE_MAX = 512;

  int protocol = 0;  // BOOT_PROTO_*
  MemRegion regions[MAX_REGIONS];
  size_t region_count = 0;
  bool regions_truncated = false;
  BootModule modules[MAX_MODULES];
  size_t module_count = 0;   // as reported by the loader (may exceed MAX_MODULES)
  uint64_t info_phys = 0;    // loader structure (reserved until parsed)
  uint64_t info_size = 0;
  uint64_t rsdp_phys = 0;    // ACPI RSDP if the loader told us (0: scan)
  uint64_t efi_system_table = 0;  // UEFI firmware (Multiboot2 EFI64 tag); 0: BIOS or PVH
  char cmdline[CMDLINE_MAX] = {};

  const char* protocol_name() const;
  // Appends a memory-map range (merged into the last one when contiguous
  // and of the same type); beyond MAX_REGIONS sets regions_truncated.
  void add_region(uint64_t base, uint64_t len, MemType type);
  // Value of `key=` in the command line, or nullptr.
  const char* cmdline_value(const char* key, char* out, size_t cap) const;
};

// Parses the loader structure at physical `info`. Reads only through the
// early higher-half window (physical < 1 GiB); anything outside is an error.
Result<void, Err> parse_boot_info(int protocol, uint64_t info, BootInfo* out);

}  // namespace capos
