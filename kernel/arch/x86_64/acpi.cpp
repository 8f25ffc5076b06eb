#include "kernel/arch/x86_64/acpi.h"

#include "kernel/mm/frames.h"
#include "kernel/mm/paging.h"
#include "lib/core/cstring.h"

namespace capos::acpi {

namespace {

struct [[gnu::packed]] Rsdp {
  char sig[8];
  uint8_t checksum;
  char oem[6];
  uint8_t revision;
  uint32_t rsdt;
  uint32_t length;
  uint64_t xsdt;
  uint8_t ext_checksum;
  uint8_t reserved[3];
};

struct [[gnu::packed]] SdtHeader {
  char sig[4];
  uint32_t length;
  uint8_t revision;
  uint8_t checksum;
  char oem[6];
  char oem_table[8];
  uint32_t oem_rev;
  uint32_t creator;
  uint32_t creator_rev;
};

constexpr uint32_t MAX_TABLE = 1u << 20;  // nothing we parse is larger

bool sum_ok(const void* p, uint32_t len) {
  uint8_t s = 0;
  for (uint32_t i = 0; i < len; ++i) s = static_cast<uint8_t>(s + static_cast<const uint8_t*>(p)[i]);
  return s == 0;
}

// Firmware pointers are untrusted too: only read what the direct map covers.
const void* view(uint64_t phys, uint32_t len) {
  void* v = frames::phys_to_virt(phys);
  return paging::kernel_readable(reinterpret_cast<uint64_t>(v), len) ? v : nullptr;
}

// An ACPI 1.0 RSDP is 20 bytes (GRUB's "ACPI old" tag copies only those):
// the 2.0 fields are read only once the revision says they exist.
const Rsdp* check_rsdp(uint64_t phys) {
  auto* r = static_cast<const Rsdp*>(view(phys, 20));
  if (!r) return nullptr;
  if (memcmp(r->sig, "RSD PTR ", 8) != 0 || !sum_ok(r, 20)) return nullptr;
  if (r->revision < 2) return r;
  if (!view(phys, sizeof(Rsdp)) || r->length < sizeof(Rsdp) || r->length > 4096 || !view(phys, r->length) ||
      !sum_ok(r, r->length))
    return nullptr;
  return r;
}

const Rsdp* scan_bios() {
  for (uint64_t pa = 0xE0000; pa < 0x100000; pa += 16)
    if (const Rsdp* r = check_rsdp(pa)) return r;
  return nullptr;
}

const SdtHeader* table(uint64_t phys) {
  auto* h = static_cast<const SdtHeader*>(view(phys, sizeof(SdtHeader)));
  if (!h || h->length < sizeof(SdtHeader) || h->length > MAX_TABLE || !view(phys, h->length) ||
      !sum_ok(h, h->length))
    return nullptr;
  return h;
}

}  // namespace

Result<Bytes> find_table(uint64_t rsdp_hint, const char* sig) {
  const Rsdp* r = rsdp_hint ? check_rsdp(rsdp_hint) : nullptr;
  if (!r) r = scan_bios();
  if (!r) return fail(Err::NotFound);
  bool x = r->revision >= 2 && r->xsdt;
  const SdtHeader* root = table(x ? r->xsdt : r->rsdt);
  if (!root) return fail(Err::Corrupt);
  uint32_t entry = x ? 8 : 4;
  uint32_t n = (root->length - sizeof(SdtHeader)) / entry;
  auto* base = reinterpret_cast<const uint8_t*>(root + 1);
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t pa = 0;
    memcpy(&pa, base + i * entry, entry);
    const SdtHeader* t = table(pa);
    if (t && memcmp(t->sig, sig, 4) == 0) return Bytes(reinterpret_cast<const uint8_t*>(t), t->length);
  }
  return fail(Err::NotFound);
}

Result<Madt> find_madt(uint64_t rsdp_hint) {
  Bytes madt = CAPOS_TRY(find_table(rsdp_hint, "APIC"));
  auto* t = reinterpret_cast<const SdtHeader*>(madt.data());
  Madt m;
  for (uint32_t irq = 0; irq < 16; ++irq) m.isa[irq] = IsaRoute{irq, false, false};
  auto* p = reinterpret_cast<const uint8_t*>(t) + sizeof(SdtHeader) + 8;  // skip LAPIC addr + flags
  auto* end = reinterpret_cast<const uint8_t*>(t) + t->length;
  while (p + 2 <= end) {
    uint8_t type = p[0], len = p[1];
    if (len < 2 || p + len > end) return fail(Err::Corrupt);
    if (type == 0 && len >= 8) {
      uint32_t flags;
      memcpy(&flags, p + 4, 4);
      if (flags & 0x3) {  // enabled, or online capable
        if (m.lapic_count < MADT_MAX_CPUS) m.lapic_ids[m.lapic_count] = p[3];
        ++m.lapic_count;
      }
    } else if (type == 1 && len >= 12 && !m.ioapic_phys) {
      uint32_t addr, gsi;
      memcpy(&addr, p + 4, 4);
      memcpy(&gsi, p + 8, 4);
      m.ioapic_phys = addr;
      m.ioapic_gsi_base = gsi;
    } else if (type == 2 && len >= 10 && p[2] == 0 && p[3] < 16) {
      uint32_t gsi;
      uint16_t flags;
      memcpy(&gsi, p + 4, 4);
      memcpy(&flags, p + 8, 2);
      m.isa[p[3]] = IsaRoute{gsi, (flags & 3) == 3, ((flags >> 2) & 3) == 3};
    }
    p += len;
  }
  if (!m.ioapic_phys) return fail(Err::NotFound);
  return m;
}

Result<Bytes> table_at(uint64_t phys) {
  const SdtHeader* t = table(phys);
  if (!t) return fail(Err::Corrupt);
  return Bytes(reinterpret_cast<const uint8_t*>(t), t->length);
}

}  // namespace capos::acpi
