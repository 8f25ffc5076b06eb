// Kernel virtual-address layout. Shared by C++ and assembly.
#pragma once

#define KERNEL_VMA 0xFFFFFFFF80000000
#define KERNEL_PHYS_BASE 0x100000
// Direct map of all physical memory-map ranges (HHDM).
#define DIRECT_MAP_BASE 0xFFFF800000000000
// Kernel stacks, each with an unmapped guard page below it.
#define KSTACK_REGION_BASE 0xFFFFFE0000000000
// Uncached device mappings (LAPIC, IOAPIC, ...).
#define MMIO_REGION_BASE 0xFFFFFD0000000000

#define BOOT_PROTO_PVH 1
#define BOOT_PROTO_MULTIBOOT2 2
#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36d76289
