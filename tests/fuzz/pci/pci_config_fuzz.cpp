// libFuzzer target for lib/pci: the input is six BAR masks followed by a
// config-space image (tests/host/pci/config_image.h emulates BAR sizing).
// Any image must either be refused or yield a Function whose BARs are
// power-of-two windows that do not wrap and whose MSI-X table and PBA lie
// inside their BARs; probing must leave the image exactly as it found it.
// The same bytes are also parsed as an MCFG and a DMAR table.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "lib/pci/config.h"
#include "lib/pci/dmar.h"
#include "lib/pci/mcfg.h"
#include "tests/host/pci/config_image.h"

using namespace capos::pci;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  EcamRegion regions[4];
  auto m = parse_mcfg(capos::Bytes(data, size), capos::Span<EcamRegion>(regions, 4));
  if (m.ok()) {
    for (size_t i = 0; i < *m; ++i)
      if (regions[i].end_bus < regions[i].start_bus || (regions[i].base & (ECAM_BUS_BYTES - 1))) abort();
  }

  Drhd units[4];
  auto dm = parse_dmar(capos::Bytes(data, size), capos::Span<Drhd>(units, 4));
  if (dm.ok()) {
    if (dm->drhd_count > 4) abort();
    for (uint32_t i = 0; i < dm->drhd_count; ++i)
      if (units[i].register_base & 0xFFF) abort();
  }

  if (size < 24) return 0;
  test::ConfigImage c;
  std::memcpy(c.bar_mask, data, 24);
  std::memcpy(c.bytes, data + 24, size - 24 < CONFIG_SIZE ? size - 24 : CONFIG_SIZE);
  test::ConfigImage before = c;
  auto f = probe(c);
  if (std::memcmp(before.bytes, c.bytes, CONFIG_SIZE) != 0) {
    fprintf(stderr, "probe did not restore config space\n");
    abort();
  }
  if (!f.ok()) return 0;
  if (f->bar_count > Function::MAX_BARS || f->cap_count > Function::MAX_CAPS) abort();
  for (uint32_t i = 0; i < f->bar_count; ++i) {
    const Bar& b = f->bars[i];
    if (b.kind == BarKind::None) continue;
    if (b.size == 0 || (b.size & (b.size - 1)) || b.base + b.size < b.base) abort();
  }
  if (f->msix.present) {
    if (!bar_contains(f->bars[f->msix.table_bar], f->msix.table_offset, uint64_t{f->msix.table_size} * 16)) abort();
    if (!bar_contains(f->bars[f->msix.pba_bar], f->msix.pba_offset, 8)) abort();
  }
  for (uint32_t i = 0; i < f->cap_count; ++i)
    if (f->caps[i].offset < 0x40 || (f->caps[i].offset & 3)) abort();
  return 0;
}
