#include "lib/pci/config.h"

namespace capos::pci {

namespace {

constexpr uint16_t CAP_AREA_START = 0x40;  // the capability list lives in [0x40, 0x100)
constexpr uint16_t CAP_AREA_END = 0x100;

bool pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

// Sizes BAR `i` (decoding already off). Returns the next BAR index.
Result<uint32_t> size_bar(ConfigAccess& cfg, uint32_t i, uint32_t count, Bar* out) {
  uint16_t off = static_cast<uint16_t>(reg::BAR0 + 4 * i);
  uint32_t orig = cfg.read32(off);
  cfg.write32(off, 0xFFFFFFFFu);
  uint32_t mask = cfg.read32(off);
  cfg.write32(off, orig);
  *out = Bar{};
  if (orig & 1) {  // I/O space
    uint32_t m = mask & ~3u & 0xFFFFu;  // I/O BARs decode at most 16 address bits
    if (m == 0) return i + 1;
    uint64_t size = (~m & 0xFFFFu) + 1;
    if (!pow2(size)) return fail(Err::Corrupt);
    *out = Bar{BarKind::Io, false, orig & ~3u & 0xFFFFu, size};
    return i + 1;
  }
  uint32_t type = (orig >> 1) & 3;
  bool prefetch = (orig >> 3) & 1;
  if (type == 2) {  // 64-bit: this BAR and the next hold one address
    if (i + 1 >= count) return fail(Err::Corrupt);
    uint16_t hi_off = static_cast<uint16_t>(off + 4);
    uint32_t orig_hi = cfg.read32(hi_off);
    cfg.write32(hi_off, 0xFFFFFFFFu);
    uint32_t mask_hi = cfg.read32(hi_off);
    cfg.write32(hi_off, orig_hi);
    uint64_t m = (uint64_t{mask_hi} << 32) | (mask & ~0xFull);
    if (m == 0) return i + 2;
    uint64_t size = ~m + 1;
    uint64_t base = (uint64_t{orig_hi} << 32) | (orig & ~0xFull);
    if (!pow2(size) || base + size < base) return fail(Err::Corrupt);
    *out = Bar{BarKind::Mem64, prefetch, base, size};
    return i + 2;
  }
  if (type != 0) return fail(Err::Corrupt);  // 1 (below 1 MiB) is obsolete, 3 reserved
  uint32_t m = mask & ~0xFu;
  if (m == 0) return i + 1;
  uint64_t size = uint64_t{~m} + 1;
  uint64_t base = orig & ~0xFull;
  if (!pow2(size) || base + size > (1ull << 32)) return fail(Err::Corrupt);
  *out = Bar{BarKind::Mem32, prefetch, base, size};
  return i + 1;
}

Status parse_msi(ConfigAccess& cfg, uint8_t off, MsiInfo* msi) {
  uint32_t ctl = cfg.read32(off) >> 16;
  msi->present = true;
  msi->offset = off;
  msi->is64 = (ctl >> 7) & 1;
  msi->maskable = (ctl >> 8) & 1;
  uint32_t mmc = (ctl >> 1) & 7;
  if (mmc > 5) return fail(Err::Corrupt);
  msi->max_vectors = static_cast<uint8_t>(1u << mmc);
  return {};
}

Status parse_msix(ConfigAccess& cfg, const Function& f, uint8_t off, MsixInfo* x) {
  if (off + 12 > CAP_AREA_END) return fail(Err::Corrupt);
  uint32_t ctl = cfg.read32(off) >> 16;
  uint32_t table = cfg.read32(static_cast<uint16_t>(off + 4));
  uint32_t pba = cfg.read32(static_cast<uint16_t>(off + 8));
  x->present = true;
  x->offset = off;
  x->table_size = static_cast<uint16_t>((ctl & 0x7FF) + 1);
  x->table_bar = table & 7;
  x->table_offset = table & ~7u;
  x->pba_bar = pba & 7;
  x->pba_offset = pba & ~7u;
  if (x->table_bar >= f.bar_count || x->pba_bar >= f.bar_count) return fail(Err::Corrupt);
  const Bar& tb = f.bars[x->table_bar];
  const Bar& pb = f.bars[x->pba_bar];
  if (tb.kind == BarKind::Io || pb.kind == BarKind::Io) return fail(Err::Corrupt);
  // 16 bytes per table entry; one pending bit per entry, in 64-bit words.
  if (!bar_contains(tb, x->table_offset, uint64_t{x->table_size} * 16)) return fail(Err::Corrupt);
  if (!bar_contains(pb, x->pba_offset, ((uint64_t{x->table_size} + 63) / 64) * 8)) return fail(Err::Corrupt);
  return {};
}

Status walk_caps(ConfigAccess& cfg, Function* f) {
  uint16_t status = static_cast<uint16_t>(cfg.read32(reg::COMMAND) >> 16);
  if (!(status & STATUS_CAP_LIST)) return {};
  uint8_t ptr = cfg.read32(reg::CAP_PTR) & 0xFC;  // the low two bits are reserved
  while (ptr) {
    if (ptr < CAP_AREA_START) return fail(Err::Corrupt);
    if (f->cap_count == Function::MAX_CAPS) return fail(Err::Corrupt);  // a loop, or absurd
    uint32_t hdr = cfg.read32(ptr);
    uint8_t id = hdr & 0xFF;
    f->caps[f->cap_count++] = Capability{id, ptr};
    if (id == cap_id::MSI && !f->msi.present) CAPOS_TRY_STATUS(parse_msi(cfg, ptr, &f->msi));
    if (id == cap_id::MSIX && !f->msix.present) CAPOS_TRY_STATUS(parse_msix(cfg, *f, ptr, &f->msix));
    uint8_t next = (hdr >> 8) & 0xFF;
    if (next & 3) return fail(Err::Corrupt);
    ptr = next;
  }
  return {};
}

}  // namespace

const Capability* Function::find_cap(uint8_t id, uint32_t from) const {
  for (uint32_t i = from; i < cap_count; ++i)
    if (caps[i].id == id) return &caps[i];
  return nullptr;
}

bool bar_contains(const Bar& bar, uint64_t offset, uint64_t len) {
  if (bar.kind == BarKind::None) return false;
  return offset <= bar.size && len <= bar.size - offset;
}

Result<Function> probe(ConfigAccess& cfg) {
  Function f;
  uint32_t id = cfg.read32(reg::ID);
  f.vendor = id & 0xFFFF;
  f.device = id >> 16;
  if (f.vendor == VENDOR_NONE || f.vendor == 0) return fail(Err::NotFound);
  uint32_t cls = cfg.read32(reg::CLASS);
  f.revision = cls & 0xFF;
  f.prog_if = (cls >> 8) & 0xFF;
  f.subclass = (cls >> 16) & 0xFF;
  f.class_code = cls >> 24;
  uint32_t hdr = cfg.read32(reg::HEADER);
  f.header_type = (hdr >> 16) & 0x7F;
  f.multifunction = (hdr >> 23) & 1;
  if (f.header_type > 1) return fail(Err::Unsupported);
  f.bar_count = f.header_type == 0 ? 6 : 2;
  f.irq_pin = (cfg.read32(reg::INTERRUPT) >> 8) & 0xFF;
  if (f.header_type == 1) {
    uint32_t buses = cfg.read32(reg::BUS_NUMBERS);
    f.secondary_bus = (buses >> 8) & 0xFF;
    f.subordinate_bus = (buses >> 16) & 0xFF;
  }

  // Sizing writes all-ones into live BARs: stop the function decoding
  // them meanwhile so it never claims a stray address window.
  uint32_t command = cfg.read32(reg::COMMAND);
  cfg.write32(reg::COMMAND, command & ~uint32_t{cmd::IO | cmd::MEMORY} & 0xFFFF);
  Status sized = {};
  for (uint32_t i = 0; i < f.bar_count && sized;) {
    auto next = size_bar(cfg, i, f.bar_count, &f.bars[i]);
    if (!next) sized = fail(next.error());
    else i = *next;
  }
  cfg.write32(reg::COMMAND, command & 0xFFFF);  // writing 0 to status bits clears nothing
  CAPOS_TRY_STATUS(sized);
  CAPOS_TRY_STATUS(walk_caps(cfg, &f));
  return f;
}

const char* class_name(uint8_t c, uint8_t s) {
  switch (c) {
    case 0x01:
      switch (s) {
        case 0x00: return "SCSI storage";
        case 0x01: return "IDE storage";
        case 0x06: return "SATA storage";
        case 0x08: return "NVM storage";
        default: return "mass storage";
      }
    case 0x02: return "network";
    case 0x03: return "display";
    case 0x04: return "multimedia";
    case 0x06:
      switch (s) {
        case 0x00: return "host bridge";
        case 0x01: return "ISA bridge";
        case 0x04: return "PCI bridge";
        default: return "bridge";
      }
    case 0x07: return "communication";
    case 0x08: return "system peripheral";
    case 0x0C: return s == 0x05 ? "SMBus" : s == 0x03 ? "USB" : "serial bus";
    default: return "other";
  }
}

}  // namespace capos::pci
