#include "kernel/arch/x86_64/ioapic.h"

#include "kernel/arch/x86_64/acpi.h"
#include "kernel/mm/paging.h"
#include "lib/pci/vtd_format.h"

namespace capos::arch {

namespace {

volatile uint32_t* g_io = nullptr;
uint32_t g_gsi_base = 0, g_pins = 0;
acpi::Madt g_madt;

uint32_t rd(uint32_t reg) {
  g_io[0] = reg;
  return g_io[4];
}
void wr(uint32_t reg, uint32_t v) {
  g_io[0] = reg;
  g_io[4] = v;
}

}  // namespace

Status ioapic_init(uint64_t rsdp_hint) {
  g_madt = CAPOS_TRY(acpi::find_madt(rsdp_hint));
  uint64_t va = CAPOS_TRY(paging::map_mmio(g_madt.ioapic_phys, 0x20));
  g_io = reinterpret_cast<volatile uint32_t*>(va);
  g_gsi_base = g_madt.ioapic_gsi_base;
  g_pins = ((rd(1) >> 16) & 0xFF) + 1;
  for (uint32_t i = 0; i < g_pins; ++i) wr(0x10 + 2 * i, 1u << 16);  // everything masked
  return {};
}

Status ioapic_route_isa(uint8_t irq, uint8_t vector) {
  if (!g_io || irq >= 16) return fail(Err::Unsupported);
  const acpi::IsaRoute& r = g_madt.isa[irq];
  if (r.gsi < g_gsi_base || r.gsi - g_gsi_base >= g_pins) return fail(Err::OutOfRange);
  uint32_t pin = r.gsi - g_gsi_base;
  uint32_t lo = vector | (r.active_low ? (1u << 13) : 0) | (r.level ? (1u << 15) : 0);  // fixed, physical
  wr(0x10 + 2 * pin + 1, 0);  // destination: APIC id 0 (the boot CPU)
  wr(0x10 + 2 * pin, lo);
  return {};
}

Status ioapic_use_remapping(IoapicRemapFn entry) {
  if (!g_io) return fail(Err::Unsupported);
  Status result = {};
  for (uint32_t pin = 0; pin < g_pins; ++pin) {
    uint32_t lo = rd(0x10 + 2 * pin);
    if (lo & (1u << 16)) continue;  // masked: not routed
    uint8_t vector = lo & 0xFF, dest = static_cast<uint8_t>(rd(0x10 + 2 * pin + 1) >> 24);
    bool level = lo & (1u << 15), active_low = lo & (1u << 13);
    wr(0x10 + 2 * pin, lo | (1u << 16));  // masked while it changes format
    auto h = entry(vector, dest, level);
    if (!h) {
      result = fail(h.error());
      continue;
    }
    pci::vtd::RteWords w = pci::vtd::remappable_rte(*h, vector, level, active_low, false);
    wr(0x10 + 2 * pin + 1, w.hi);
    wr(0x10 + 2 * pin, w.lo);
  }
  return result;
}

}  // namespace capos::arch
