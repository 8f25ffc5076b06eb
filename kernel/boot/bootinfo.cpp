#include "kernel/boot/bootinfo.h"

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

MemType pvh_type(uint32_t t) {
  switch (t) {
    case 1: return MemType::Usable;
    case 3: return MemType::AcpiReclaimable;
    case 4: return MemType::AcpiNvs;
    case 5: return MemType::Bad;
    default: return MemType::Reserved;
  }
}

void add_region(BootInfo* bi, uint64_t base, uint64_t len, MemType type) {
  if (len == 0) return;
  // UEFI maps come fragmented by allocation (GRUB converts each EFI
  // descriptor); merging contiguous ranges of one type keeps them within
  // MAX_REGIONS.
  if (bi->region_count > 0) {
    MemRegion& last = bi->regions[bi->region_count - 1];
    uint64_t end;
    if (last.type == type && !add_overflow(last.base, last.length, &end) && end == base &&
        !add_overflow(last.length, len, &end)) {
      last.length += len;
      return;
    }
  }
  if (bi->region_count == BootInfo::MAX_REGIONS) {
    bi->regions_truncated = true;
    return;
  }
  bi->regions[bi->region_count++] = MemRegion{base, len, type};
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
  for (uint32_t i = 0; i < si->memmap_entries; ++i) add_region(bi, mm[i].addr, mm[i].size, pvh_type(mm[i].type));
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
  uint32_t total = hdr[0];
  if (total < 16 || !early_phys(info, total)) return fail(Err::Corrupt);
  bi->info_size = total;
  uint64_t off = 8;
  while (off + 8 <= total) {
    auto* tag = reinterpret_cast<const uint32_t*>(info + KERNEL_VMA + off);
    uint32_t type = tag[0], size = tag[1];
    if (size < 8 || off + size > total) return fail(Err::Corrupt);
    if (type == 0) break;
    const uint8_t* body = reinterpret_cast<const uint8_t*>(tag) + 8;
    if (type == 1) {  // command line
      size_t n = strnlen(reinterpret_cast<const char*>(body), size - 8);
      if (n >= BootInfo::CMDLINE_MAX) n = BootInfo::CMDLINE_MAX - 1;
      memcpy(bi->cmdline, body, n);
      bi->cmdline[n] = '\0';
    } else if (type == 3 && size >= 16) {  // module
      uint32_t start, end;
      memcpy(&start, body, 4);
      memcpy(&end, body + 4, 4);
      if (end < start) return fail(Err::Corrupt);
      if (bi->module_count < BootInfo::MAX_MODULES) bi->modules[bi->module_count] = BootModule{start, end - start};
      ++bi->module_count;
    } else if ((type == 14 && size - 8 >= 20 && !bi->rsdp_phys) || (type == 15 && size - 8 >= 36)) {
      // ACPI old (1.0, 20 bytes) / new (2.0+, 36 bytes) RSDP: GRUB hands a
      // copy, kept with the MBI. On UEFI this is the only way to find ACPI
      // (no BIOS area to scan); the new one (XSDT) wins over the old.
      bi->rsdp_phys = info + off + 8;
    } else if (type == 12 && size >= 16) {
      // EFI 64-bit system table pointer: GRUB booted us from UEFI and has
      // left boot services (we do not ask to keep them), so this is only
      // for the record; the memory map and RSDP come from their own tags.
      memcpy(&bi->efi_system_table, body, 8);
    } else if (type == 6 && size >= 16) {  // memory map
      uint32_t esize;
      memcpy(&esize, body, 4);
      if (esize < 24) return fail(Err::Corrupt);
      for (uint64_t e = 8; e + esize <= size - 8; e += esize) {
        uint64_t base, len;
        uint32_t t;
        memcpy(&base, body + e, 8);
        memcpy(&len, body + e + 8, 8);
        memcpy(&t, body + e + 16, 4);
        add_region(bi, base, len, pvh_type(t));  // same E820 type numbering
      }
    }
    off = align_up(off + size, 8);
  }
  if (bi->region_count == 0) return fail(Err::NotFound);
  return {};
}

}  // namespace

const char* BootInfo::protocol_name() const {
  return protocol == BOOT_PROTO_PVH ? "PVH" : protocol == BOOT_PROTO_MULTIBOOT2 ? "Multiboot2" : "unknown";
}

const char* BootInfo::cmdline_value(const char* key, char* out, size_t cap) const {
  size_t klen = strlen(key);
  const char* p = cmdline;
  while (*p) {
    while (*p == ' ') ++p;
    const char* word = p;
    while (*p && *p != ' ') ++p;
    size_t wlen = static_cast<size_t>(p - word);
    if (wlen > klen && strncmp(word, key, klen) == 0 && word[klen] == '=') {
      size_t vlen = wlen - klen - 1;
      if (vlen >= cap) vlen = cap - 1;
      memcpy(out, word + klen + 1, vlen);
      out[vlen] = '\0';
      return out;
    }
  }
  return nullptr;
}

Result<void, Err> parse_boot_info(int protocol, uint64_t info, BootInfo* out) {
  out->protocol = protocol;
  out->info_phys = info;
  if (protocol == BOOT_PROTO_PVH) return parse_pvh(info, out);
  if (protocol == BOOT_PROTO_MULTIBOOT2) return parse_mb2(info, out);
  return fail(Err::Unsupported);
}

}  // namespace capos
