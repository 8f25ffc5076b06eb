#include "kernel/boot/multiboot2.h"

#include "lib/core/cstring.h"
#include "lib/core/utility.h"

namespace capos {

namespace {

// Tag types (Multiboot2 specification 3.6).
constexpr uint32_t TAG_END = 0, TAG_CMDLINE = 1, TAG_MODULE = 3, TAG_MMAP = 6, TAG_EFI64 = 12,
                   TAG_ACPI_OLD = 14, TAG_ACPI_NEW = 15, TAG_EFI_MMAP = 17;
constexpr uint32_t RSDP_V1_SIZE = 20, RSDP_V2_SIZE = 36;
constexpr uint32_t MMAP_ENTRY_MIN = 24, EFI_DESC_MIN = 40;

uint32_t rd32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
uint64_t rd64(const uint8_t* p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

// UEFI memory types (UEFI 2.10, 7.2): once boot services have exited,
// loader and boot-services memory is free like conventional memory.
MemType efi_type(uint32_t t) {
  switch (t) {
    case 1: case 2: case 3: case 4: case 7: return MemType::Usable;  // loader/boot code+data, conventional
    case 8: return MemType::Bad;                                      // unusable
    case 9: return MemType::AcpiReclaimable;
    case 10: return MemType::AcpiNvs;
    default: return MemType::Reserved;  // runtime services, MMIO, PAL code, persistent, ...
  }
}

Status parse_mmap(Bytes body, BootInfo* bi) {
  if (body.size() < 8) return fail(Err::Corrupt);
  uint32_t esize = rd32(body.data());
  if (esize < MMAP_ENTRY_MIN) return fail(Err::Corrupt);
  for (size_t e = 8; esize <= body.size() - e; e += esize) {
    const uint8_t* p = body.data() + e;
    bi->add_region(rd64(p), rd64(p + 8), e820_type(rd32(p + 16)));
  }
  return {};
}

Status parse_efi_mmap(Bytes body, BootInfo* bi) {
  if (body.size() < 8) return fail(Err::Corrupt);
  uint32_t dsize = rd32(body.data());
  if (dsize < EFI_DESC_MIN) return fail(Err::Corrupt);
  for (size_t e = 8; dsize <= body.size() - e; e += dsize) {
    const uint8_t* p = body.data() + e;
    uint64_t len;
    if (mul_overflow(rd64(p + 24), PAGE_SIZE, &len)) return fail(Err::Corrupt);
    bi->add_region(rd64(p + 8), len, efi_type(rd32(p)));
  }
  return {};
}

}  // namespace

Status parse_multiboot2(Bytes mbi, uint64_t mbi_phys, BootInfo* bi) {
  if (mbi.size() < 8) return fail(Err::Truncated);
  uint32_t total = rd32(mbi.data());
  if (total < 16) return fail(Err::Corrupt);
  if (total > mbi.size()) return fail(Err::Truncated);
  bi->info_size = total;
  Bytes efi_mmap;
  bool have_mmap = false, have_new_rsdp = false;
  size_t off = 8;
  while (off + 8 <= total) {
    const uint8_t* tag = mbi.data() + off;
    uint32_t type = rd32(tag), size = rd32(tag + 4);
    if (size < 8 || size > total - off) return fail(Err::Corrupt);
    if (type == TAG_END) break;
    Bytes body(tag + 8, size - 8);
    if (type == TAG_CMDLINE) {
      size_t n = strnlen(reinterpret_cast<const char*>(body.data()), body.size());
      if (n >= BootInfo::CMDLINE_MAX) n = BootInfo::CMDLINE_MAX - 1;
      memcpy(bi->cmdline, body.data(), n);
      bi->cmdline[n] = '\0';
    } else if (type == TAG_MODULE && body.size() >= 8) {
      uint32_t start = rd32(body.data()), end = rd32(body.data() + 4);
      if (end < start) return fail(Err::Corrupt);
      if (bi->module_count < BootInfo::MAX_MODULES) bi->modules[bi->module_count] = BootModule{start, end - start};
      ++bi->module_count;
    } else if (type == TAG_MMAP && !have_mmap) {
      CAPOS_TRY_STATUS(parse_mmap(body, bi));
      have_mmap = true;
    } else if (type == TAG_EFI_MMAP) {
      efi_mmap = body;
    } else if (type == TAG_EFI64 && body.size() >= 8) {
      // GRUB booted us from UEFI and has left boot services (we do not ask
      // to keep them): the pointer is only for the record.
      bi->efi_system_table = rd64(body.data());
    } else if ((type == TAG_ACPI_OLD && body.size() >= RSDP_V1_SIZE && !have_new_rsdp) ||
               (type == TAG_ACPI_NEW && body.size() >= RSDP_V2_SIZE)) {
      // GRUB hands a copy of the RSDP, kept with the MBI. Under UEFI this
      // is the only way to find ACPI (no BIOS area to scan).
      bi->rsdp_phys = mbi_phys + off + 8;
      have_new_rsdp = type == TAG_ACPI_NEW;
    }
    off = align_up(off + size, 8);
  }
  if (!have_mmap && !efi_mmap.empty()) CAPOS_TRY_STATUS(parse_efi_mmap(efi_mmap, bi));
  if (bi->region_count == 0) return fail(Err::NotFound);
  return {};
}

}  // namespace capos
