// Multiboot2 boot information (the MBI GRUB hands over, from BIOS or UEFI)
// into BootInfo. Portable: the kernel passes the MBI as bytes read through
// the boot window; host tests and a fuzzer feed it synthetic ones.
#pragma once

#include <stdint.h>

#include "kernel/boot/bootinfo.h"
#include "lib/core/span.h"

namespace capos {

// `mbi` is the whole structure (its first word is its size), found at
// physical `mbi_phys` (recorded for the RSDP copies GRUB keeps inside it).
// Memory map: the ordinary mmap tag; the EFI memory map tag only when a
// loader gives no mmap tag. RSDP: the ACPI new tag (2.0+) wins over the old.
// Errors: Truncated (shorter than its declared size or 8 bytes), Corrupt
// (a tag past the end or shorter than its header, a malformed map or
// module), NotFound (no memory map at all).
Status parse_multiboot2(Bytes mbi, uint64_t mbi_phys, BootInfo* bi);

}  // namespace capos
