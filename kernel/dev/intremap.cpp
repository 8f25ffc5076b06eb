#include "kernel/dev/intremap.h"

#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/debug/log.h"
#include "kernel/dev/vtd_unit.h"
#include "kernel/mm/frames.h"
#include "lib/pci/vtd_format.h"

namespace capos::iommu::intremap {

namespace vtd = pci::vtd;

namespace {

constexpr uint64_t IRTA_SIZE_256 = 7;  // 2^(S+1) entries: one page

struct State {
  bool on = false;
  uint64_t table = 0;  // IRT frame
  uint16_t ioapic_sid = 0;
  vtd::IrteAllocator handles;
};
// Written once at boot before any other thread exists, afterwards only
// under the kernel lock (alloc/free from Interrupt capabilities).
State g_ir CAPOS_GUARDED_BY(g_kernel_lock);

vtd::Quad128* entries(uint64_t table) { return static_cast<vtd::Quad128*>(frames::phys_to_virt(table)); }

// Stores an entry: high half first, so the present bit (low half) is set
// last; then any cached copy is dropped.
void write_entry(uint64_t table, uint16_t handle, vtd::Quad128 e) {
  volatile uint64_t* p = &entries(table)[handle].lo;
  p[1] = e.hi;
  p[0] = e.lo;
  const vtd::Quad128 d[] = {vtd::inv_iec_index(handle)};
  (void)unit::invalidate(Span<const vtd::Quad128>(d, 1));  // a stall is logged by unit::invalidate
}

Result<uint16_t> alloc_locked(State& s, uint16_t source_id, uint8_t vector, uint8_t dest, bool level) {
  uint16_t h = CAPOS_TRY(s.handles.alloc());
  write_entry(s.table, h, vtd::encode_irte({vector, dest, source_id, level}));
  return h;
}

// IOAPIC pins get entries that only the IOAPIC's requester id may use.
Result<uint16_t> ioapic_entry(uint8_t vector, uint8_t dest, bool level) CAPOS_NO_THREAD_SAFETY_ANALYSIS {
  return alloc_locked(g_ir, g_ir.ioapic_sid, vector, dest, level);
}

}  // namespace

// Boot: one thread, interrupts off, before the scheduler runs.
Status init() CAPOS_NO_THREAD_SAFETY_ANALYSIS {
  if (!(unit::ecap() & unit::ECAP_IR)) return fail(Err::Unsupported);
  const pci::Drhd& u = unit::scope();
  bool have_ioapic = false;
  for (uint32_t i = 0; i < u.scope_count && !have_ioapic; ++i) {
    const pci::DeviceScope& sc = u.scopes[i];
    if (sc.type != 3) continue;  // IOAPIC
    g_ir.ioapic_sid = static_cast<uint16_t>(sc.bus << 8 | sc.dev << 3 | sc.fn);
    have_ioapic = true;
  }
  if (!have_ioapic) return fail(Err::Unsupported);  // its pins could not be verified, nor delivered
  g_ir.table = CAPOS_TRY(frames::alloc());  // 256 entries, none present
  unit::wr64(unit::R_IRTA, g_ir.table | IRTA_SIZE_256);  // xAPIC destinations (EIME = 0)
  CAPOS_TRY_STATUS(unit::command(unit::GCMD_SIRTP));
  const vtd::Quad128 d[] = {vtd::inv_iec_global()};
  CAPOS_TRY_STATUS(unit::invalidate(Span<const vtd::Quad128>(d, 1)));
  // GCMD.CFI stays clear: compatibility-format requests are blocked.
  CAPOS_TRY_STATUS(unit::command(unit::GCMD_IRE));
  g_ir.on = true;
  Status io = arch::ioapic_use_remapping(ioapic_entry);
  klog("iommu: interrupt remapping on: {}-entry table, compatibility-format interrupts blocked (CFIS {}), "
       "IOAPIC {:02x}:{:02x}.{} pins {}\n",
       vtd::IrteAllocator::SIZE, (unit::rd32(unit::R_GSTS) & unit::GCMD_CFI) ? 1 : 0, g_ir.ioapic_sid >> 8,
       (g_ir.ioapic_sid >> 3) & 31, g_ir.ioapic_sid & 7, io ? "remapped" : err_name(io.error()));
  return {};
}

bool active() CAPOS_NO_THREAD_SAFETY_ANALYSIS { return g_ir.on; }  // set once at boot

Result<uint16_t> alloc(uint16_t source_id, uint8_t vector, uint8_t dest) {
  if (!g_ir.on) return fail(Err::Unsupported);
  return alloc_locked(g_ir, source_id, vector, dest, false);  // MSIs are edge-triggered
}

void free(uint16_t handle) {
  if (!g_ir.on || !g_ir.handles.in_use(handle)) return;
  write_entry(g_ir.table, handle, vtd::Quad128{0, 0});  // not present, cached copy dropped
  (void)g_ir.handles.free(handle);                      // in use: checked above
}

uint32_t used() { return g_ir.handles.used(); }

}  // namespace capos::iommu::intremap
