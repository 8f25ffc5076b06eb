#include "kernel/dev/pci.h"

#include "kernel/arch/x86_64/acpi.h"
#include "kernel/debug/log.h"
#include "kernel/mm/paging.h"
#include "lib/core/format.h"
#include "lib/pci/mcfg.h"

namespace capos::pci {

namespace {

Device g_devices[MAX_DEVICES];
uint32_t g_count = 0;
bool g_iommu = false;

// One function's ECAM window. Volatile: config reads have side effects
// on some devices and must not be merged or reordered by the compiler.
class EcamConfig final : public ConfigAccess {
 public:
  explicit EcamConfig(uint64_t va) : va_(va) {}
  uint32_t read32(uint16_t off) override {
    return *reinterpret_cast<volatile uint32_t*>(va_ + (off & 0xFFC));
  }
  void write32(uint16_t off, uint32_t value) override {
    *reinterpret_cast<volatile uint32_t*>(va_ + (off & 0xFFC)) = value;
  }

 private:
  uint64_t va_;
};

struct Scan {
  EcamRegion region;
  uint64_t bus_va[256];  // mapped ECAM window per bus (0: not yet)
  uint32_t buses_scanned;
};

Scan g_scan;
constexpr uint32_t MAX_BUSES = 16;  // bridges beyond this are not followed

const char* bar_kind(BarKind k) {
  switch (k) {
    case BarKind::Mem32: return "mem32";
    case BarKind::Mem64: return "mem64";
    case BarKind::Io: return "io";
    case BarKind::None: break;
  }
  return "-";
}

// One line per function, built whole so concurrent log lines never split it.
void log_function(const Device& d) {
  const Function& f = d.info;
  char buf[320];
  BufferSink line(buf, sizeof(buf));
  format(line, "pci: {:02x}:{:02x}.{} {:04x}:{:04x} class {:02x}.{:02x} ({})", d.bus, d.dev, d.fn, f.vendor,
         f.device, f.class_code, f.subclass, class_name(f.class_code, f.subclass));
  for (uint32_t i = 0; i < f.bar_count; ++i) {
    const Bar& b = f.bars[i];
    if (b.kind != BarKind::None) format(line, " bar{} {} {:#x}+{:#x}", i, bar_kind(b.kind), b.base, b.size);
  }
  if (f.msi.present) format(line, " msi x{}", f.msi.max_vectors);
  if (f.msix.present)
    format(line, " msix x{} (table bar{}+{:#x})", f.msix.table_size, f.msix.table_bar, f.msix.table_offset);
  klog("{}\n", line.view());
}

Status scan_bus(uint8_t bus);

Status probe_function(uint8_t bus, uint8_t dev, uint8_t fn, bool* multifunction) {
  uint64_t va = g_scan.bus_va[bus] + ecam_offset(0, dev, fn);
  EcamConfig cfg(va);
  auto f = probe(cfg);
  if (!f) {
    if (f.error() != Err::NotFound)
      klog("pci: {:02x}:{:02x}.{} refused: {}\n", bus, dev, fn, err_name(f.error()));
    return {};
  }
  if (fn == 0) *multifunction = f->multifunction;
  if (g_count == MAX_DEVICES) {
    klog("pci: more than {} functions; {:02x}:{:02x}.{} ignored\n", MAX_DEVICES, bus, dev, fn);
    return {};
  }
  Device& d = g_devices[g_count++];
  d = Device{bus, dev, fn, *f, va, false, 0};
  log_function(d);
  if (f->header_type == 1 && f->secondary_bus > bus && f->secondary_bus <= g_scan.region.end_bus)
    CAPOS_TRY_STATUS(scan_bus(f->secondary_bus));
  return {};
}

Status scan_bus(uint8_t bus) {
  if (g_scan.bus_va[bus]) return {};  // already scanned (a bridge loop)
  if (g_scan.buses_scanned == MAX_BUSES) {
    klog("pci: more than {} buses; bus {} not scanned\n", MAX_BUSES, bus);
    return {};
  }
  ++g_scan.buses_scanned;
  g_scan.bus_va[bus] = CAPOS_TRY(paging::map_mmio(g_scan.region.base + ecam_offset(bus, 0, 0), ECAM_BUS_BYTES));
  for (uint8_t dev = 0; dev < 32; ++dev) {
    bool multi = false;
    CAPOS_TRY_STATUS(probe_function(bus, dev, 0, &multi));
    for (uint8_t fn = 1; multi && fn < 8; ++fn) CAPOS_TRY_STATUS(probe_function(bus, dev, fn, &multi));
  }
  return {};
}

}  // namespace

Status init(uint64_t rsdp_hint) {
  g_iommu = acpi::find_table(rsdp_hint, "DMAR").ok();
  klog("iommu: {}\n", g_iommu ? "DMAR present (Intel VT-d)" : "none reported by firmware (no DMAR table)");
  Bytes table = CAPOS_TRY(acpi::find_table(rsdp_hint, "MCFG"));
  EcamRegion regions[4];
  size_t n = CAPOS_TRY(parse_mcfg(table, Span<EcamRegion>(regions, 4)));
  for (size_t i = 0; i < n; ++i) {
    if (regions[i].segment != 0) continue;  // segment 0 only: all that q35 (and most machines) have
    g_scan.region = regions[i];
    CAPOS_TRY_STATUS(scan_bus(regions[i].start_bus));
    klog("pci: {} functions on {} buses (ECAM {:#x})\n", g_count, g_scan.buses_scanned, regions[i].base);
    return {};
  }
  return fail(Err::NotFound);
}

uint32_t count() { return g_count; }
Device* device(uint32_t index) { return index < g_count ? &g_devices[index] : nullptr; }

Device* find(uint8_t bus, uint8_t dev, uint8_t fn) {
  for (uint32_t i = 0; i < g_count; ++i)
    if (g_devices[i].bus == bus && g_devices[i].dev == dev && g_devices[i].fn == fn) return &g_devices[i];
  return nullptr;
}

uint32_t config_read32(const Device& d, uint16_t off) { return EcamConfig(d.config_va).read32(off); }
void config_write32(const Device& d, uint16_t off, uint32_t value) { EcamConfig(d.config_va).write32(off, value); }

bool iommu_present() { return g_iommu; }

}  // namespace capos::pci
