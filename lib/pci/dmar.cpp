#include "lib/pci/dmar.h"

#include "lib/core/cstring.h"

namespace capos::pci {

namespace {
constexpr size_t SDT_HEADER = 36;
constexpr size_t DMAR_FIXED = SDT_HEADER + 12;  // width, flags, 10 reserved
constexpr uint16_t TYPE_DRHD = 0;
constexpr size_t DRHD_MIN = 16;
}  // namespace

Result<Dmar> parse_dmar(Bytes table, Span<Drhd> out) {
  if (table.size() < DMAR_FIXED) return fail(Err::Truncated);
  const uint8_t* p = table.data();
  if (memcmp(p, "DMAR", 4) != 0) return fail(Err::Corrupt);
  uint32_t len;
  memcpy(&len, p + 4, 4);
  if (len < DMAR_FIXED) return fail(Err::Corrupt);
  if (len > table.size()) return fail(Err::Truncated);
  uint8_t sum = 0;
  for (uint32_t i = 0; i < len; ++i) sum = static_cast<uint8_t>(sum + p[i]);
  if (sum != 0) return fail(Err::Corrupt);
  Dmar d{p[SDT_HEADER], 0};
  for (size_t off = DMAR_FIXED; off < len;) {
    if (len - off < 4) return fail(Err::Corrupt);
    uint16_t type, slen;
    memcpy(&type, p + off, 2);
    memcpy(&slen, p + off + 2, 2);
    if (slen < 4 || slen > len - off) return fail(Err::Corrupt);
    if (type == TYPE_DRHD) {
      if (slen < DRHD_MIN) return fail(Err::Corrupt);
      if (d.drhd_count == out.size()) return fail(Err::LimitExceeded);
      Drhd& h = out[d.drhd_count++];
      h.include_pci_all = p[off + 4] & 1;
      memcpy(&h.segment, p + off + 6, 2);
      memcpy(&h.register_base, p + off + 8, 8);
      if (h.register_base & 0xFFF) return fail(Err::Corrupt);
      h.scope_count = 0;
      for (size_t s = off + DRHD_MIN; s < off + slen;) {
        if (off + slen - s < 2) return fail(Err::Corrupt);
        uint8_t stype = p[s], sl = p[s + 1];
        // type, length, 2 reserved, enumeration id, start bus, then (dev, fn) pairs
        if (sl < 8 || (sl - 6) % 2 || sl > off + slen - s) return fail(Err::Corrupt);
        if (h.scope_count == Drhd::MAX_SCOPES) return fail(Err::LimitExceeded);
        uint8_t depth = static_cast<uint8_t>((sl - 6) / 2);
        h.scopes[h.scope_count++] = DeviceScope{stype, p[s + 5], p[s + sl - 2], p[s + sl - 1], depth};
        s += sl;
      }
    }
    off += slen;
  }
  return d;
}

bool Drhd::covers(uint8_t bus, uint8_t dev, uint8_t fn) const {
  if (include_pci_all) return true;
  for (uint32_t i = 0; i < scope_count; ++i) {
    const DeviceScope& sc = scopes[i];
    if (sc.type == 1 && sc.depth == 1 && sc.bus == bus && sc.dev == dev && sc.fn == fn) return true;
  }
  return false;
}

}  // namespace capos::pci
