#include "kernel/boot/bootinfo.h"

#include "kernel/boot/multiboot2.h"

#include "kernel/arch/x86_64/layout.h"
#include "lib/core/cstring.h"
#include "lib/core/utility.h"

namespace capos {

namespace {

constexpr uint64_t EARLY_WINDOW = 1ull << 30;  // mapped by boot.S

// Pointer to [pa, pa+len) through the early window, or nullptr.
const void* early_phys(uint64_t pa, uint64_t len) {
  uint64_t end;
  if (add_overflow(pa, len, &end) || end > EARLY_WINDOW) return nullptr;
  return reinterpret_cast<const void*>(pa + KERNEL_VMA);
}

void copy_cmdline(BootInfo* bi, uint64_t pa) {
  if (pa == 0) return;
  for (size_t i = 0; i + 1 < BootInfo::CMDLINE_MAX; ++i) {
    auto* c = static_cast<const char*>(early_phys(pa + i, 1));
    if (!c || *c == '\0') break;
    bi->cmdline[i] = *c;
  }
}

struct PvhStartInfo {
  uint32_t magic, version, flags, nr_modules;
  uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
  uint64_t memmap_paddr;
  uint32_t memmap_entries, reserved;
};
struct PvhMemmapEntry {
  uint64_t addr, size;
  uint32_t type, reserved;
};
struct PvhModEntry {
  uint64_t paddr, size, cmdline_paddr, reserved;
};

Result<void, Err> parse_pvh(uint64_t info, BootInfo* bi) {
  auto* si = static_cast<const PvhStartInfo*>(early_phys(info, sizeof(PvhStartInfo)));
  if (!si || si->magic != 0x336ec578) return fail(Err::Corrupt);
  if (si->version < 1) return fail(Err::Unsupported);  // no memory map before v1
  bi->info_size = sizeof(PvhStartInfo);
  auto* mm = static_cast<const PvhMemmapEntry*>(
      early_phys(si->memmap_paddr, uint64_t{si->memmap_entries} * sizeof(PvhMemmapEntry)));
  if (!mm) return fail(Err::OutOfRange);
  for (uint32_t i = 0; i < si->memmap_entries; ++i) bi->add_region(mm[i].addr, mm[i].size, e820_type(mm[i].type));
  bi->module_count = si->nr_modules;
  if (si->nr_modules) {
    auto* mods = static_cast<const PvhModEntry*>(
        early_phys(si->modlist_paddr, uint64_t{si->nr_modules} * sizeof(PvhModEntry)));
    if (!mods) return fail(Err::OutOfRange);
    for (uint32_t i = 0; i < si->nr_modules && i < BootInfo::MAX_MODULES; ++i)
      bi->modules[i] = BootModule{mods[i].paddr, mods[i].size};
  }
  copy_cmdline(bi, si->cmdline_paddr);
  bi->rsdp_phys = si->rsdp_paddr;
  return {};
}

Result<void, Err> parse_mb2(uint64_t info, BootInfo* bi) {
  auto* hdr = static_cast<const uint32_t*>(early_phys(info, 8));
  if (!hdr) return fail(Err::OutOfRange);
  auto* mbi = static_cast<const uint8_t*>(early_phys(info, hdr[0]));
  if (!mbi) return fail(Err::OutOfRange);
  return parse_multiboot2(Bytes(mbi, hdr[0]), info, bi);
}

}  // namespace

Result<void, Err> parse_boot_info(int protocol, uint64_t info, BootInfo* out) {
  out->protocol = protocol;
  out->info_phys = info;
  if (protocol == BOOT_PROTO_PVH) return parse_pvh(info, out);
  if (protocol == BOOT_PROTO_MULTIBOOT2) return parse_mb2(info, out);
  return fail(Err::Unsupported);
}

}  // namespace capos
