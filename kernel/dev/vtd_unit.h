// The one VT-d unit's registers and queued invalidation, shared by the
// DMA side (kernel/dev/iommu.cpp) and interrupt remapping
// (kernel/dev/intremap.cpp). Internal to kernel/dev.
#pragma once

#include <stdint.h>

#include "lib/core/result.h"
#include "lib/core/span.h"
#include "lib/pci/dmar.h"
#include "lib/pci/vtd_format.h"

namespace capos::iommu::unit {

// Register offsets and GCMD/GSTS bits (VT-d spec 11.4).
constexpr uint32_t R_GSTS = 0x1C, R_FSTS = 0x34, R_IQH = 0x80, R_IQT = 0x88, R_IQA = 0x90, R_IRTA = 0xB8;
constexpr uint32_t GCMD_TE = 1u << 31, GCMD_SRTP = 1u << 30, GCMD_QIE = 1u << 26, GCMD_IRE = 1u << 25,
                   GCMD_SIRTP = 1u << 24, GCMD_CFI = 1u << 23;
constexpr uint64_t ECAP_QI = 1u << 1, ECAP_IR = 1u << 3;
constexpr uint32_t FSTS_IQE = 1u << 4;

uint32_t rd32(uint32_t off);
uint64_t rd64(uint32_t off);
void wr32(uint32_t off, uint32_t v);
void wr64(uint32_t off, uint64_t v);
uint64_t ecap();
const pci::Drhd& scope();
// Sets a GCMD bit and waits (bounded) for GSTS to show it.
Status command(uint32_t bit);
// Runs `descs` through the invalidation queue followed by a wait
// descriptor, and waits (bounded) for it. Failed if the queue is off or
// the unit reports an invalidation queue error.
Status invalidate(Span<const pci::vtd::Quad128> descs);

}  // namespace capos::iommu::unit
