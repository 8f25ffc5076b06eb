#include "lib/pci/vtd_format.h"

namespace capos::pci::vtd {

namespace {
// IRTE low quadword (VT-d 9.10): P, FPD, DM, RH, TM, DLM, IM (bit 15:
// 0 = remapped), vector 23:16, destination id 63:32 (xAPIC: 47:40).
constexpr uint64_t IRTE_P = 1, IRTE_TM = 1u << 4;
// High quadword: SID 15:0, SQ 17:16, SVT 19:18 (01: verify all SID bits).
constexpr uint64_t IRTE_SVT_VERIFY_SID = uint64_t{1} << 18;
constexpr uint32_t MSI_BASE = 0xFEE00000u, MSI_FORMAT_REMAP = 1u << 4, MSI_SHV = 1u << 3;
constexpr uint64_t DESC_CC = 1, DESC_IOTLB = 2, DESC_IEC = 4, DESC_WAIT = 5;
}  // namespace

Quad128 encode_irte(const Irte& e) {
  uint64_t lo = IRTE_P | (e.level ? IRTE_TM : 0) | (uint64_t{e.vector} << 16) | (uint64_t{e.dest} << 40);
  uint64_t hi = uint64_t{e.source_id} | IRTE_SVT_VERIFY_SID;
  return {lo, hi};
}

Result<Irte> decode_irte(Quad128 q) {
  if (!(q.lo & IRTE_P)) return fail(Err::NotFound);
  return Irte{static_cast<uint8_t>(q.lo >> 16), static_cast<uint8_t>(q.lo >> 40), static_cast<uint16_t>(q.hi),
              (q.lo & IRTE_TM) != 0};
}

MsiMessage remappable_msi(uint16_t handle) {
  // Handle bits 14:0 in address 19:5, bit 15 in address bit 2.
  uint32_t lo = MSI_BASE | (uint32_t{handle & 0x7FFFu} << 5) | MSI_FORMAT_REMAP | MSI_SHV | ((handle >> 15) & 1u) << 2;
  return {lo, 0, 0};  // sub-handle 0: the entry is exactly `handle`
}

RteWords remappable_rte(uint16_t handle, uint8_t vector, bool level, bool active_low, bool masked) {
  // Low: vector 7:0, bits 10:8 zero, handle bit 15 at 11, polarity 13,
  // trigger 15, mask 16. High: format bit 48 (16 here), handle 14:0 at
  // 63:49 (31:17 here).
  uint32_t lo = vector | ((handle >> 15) & 1u) << 11 | (active_low ? 1u << 13 : 0) | (level ? 1u << 15 : 0) |
                (masked ? 1u << 16 : 0);
  uint32_t hi = (1u << 16) | (uint32_t{handle & 0x7FFFu} << 17);
  return {lo, hi};
}

Quad128 inv_context_global() { return {DESC_CC | (1u << 4), 0}; }
Quad128 inv_iotlb_global() { return {DESC_IOTLB | (1u << 4) | (1u << 6) | (1u << 7), 0}; }
Quad128 inv_iotlb_domain(uint16_t domain) {
  return {DESC_IOTLB | (2u << 4) | (1u << 6) | (1u << 7) | (uint64_t{domain} << 16), 0};
}
Quad128 inv_iec_global() { return {DESC_IEC, 0}; }
Quad128 inv_iec_index(uint16_t index) { return {DESC_IEC | (1u << 4) | (uint64_t{index} << 32), 0}; }
Quad128 inv_wait(uint64_t status_addr, uint32_t status) {
  return {DESC_WAIT | (1u << 5) | (uint64_t{status} << 32), status_addr & ~uint64_t{3}};
}

const char* fault_reason_name(uint8_t reason) {
  switch (reason) {
    case 0x1: return "root entry not present";
    case 0x2: return "context entry not present";
    case 0x5: return "write to a page not writable";
    case 0x6: return "read of a page not readable";
    case 0x20: return "reserved bits in an interrupt request";
    case 0x21: return "interrupt index beyond the table";
    case 0x22: return "interrupt entry not present";
    case 0x24: return "reserved bits in an interrupt entry";
    case 0x25: return "compatibility-format interrupt blocked";
    case 0x26: return "interrupt from a source the entry does not name";
    default: return "other";
  }
}

Result<uint16_t> IrteAllocator::alloc() {
  for (uint32_t w = 0; w < SIZE / 64; ++w) {
    if (bits_[w] == ~uint64_t{0}) continue;
    uint32_t b = static_cast<uint32_t>(__builtin_ctzll(~bits_[w]));
    bits_[w] |= uint64_t{1} << b;
    return static_cast<uint16_t>(w * 64 + b);
  }
  return fail(Err::Overloaded);
}

Status IrteAllocator::free(uint16_t index) {
  if (index == 0 || !in_use(index)) return fail(Err::InvalidArgument);
  bits_[index / 64] &= ~(uint64_t{1} << (index % 64));
  return {};
}

uint32_t IrteAllocator::used() const {
  uint32_t n = 0;
  for (uint64_t w : bits_) n += static_cast<uint32_t>(__builtin_popcountll(w));
  return n - 1;  // index 0 is reserved, not used
}

}  // namespace capos::pci::vtd
