#include "kernel/dev/iommu.h"

#include "kernel/arch/x86_64/acpi.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/debug/log.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/paging.h"
#include "kernel/dev/intremap.h"
#include "kernel/dev/vtd_unit.h"
#include "kernel/sched/deferred.h"
#include "lib/pci/dmar.h"
#include "lib/pci/vtd_format.h"

namespace capos::iommu {

// Register offsets and bits (VT-d spec 11.4).
namespace {
using namespace unit;
constexpr uint32_t R_CAP = 0x08, R_ECAP = 0x10, R_GCMD = 0x18, R_RTADDR = 0x20, R_CCMD = 0x28, R_FECTL = 0x38,
                   R_FEDATA = 0x3C, R_FEADDR = 0x40, R_FEUADDR = 0x44;
constexpr uint32_t QI_ENTRIES = 256;  // one page of 128-bit descriptors (IQA.QS = 0)
constexpr uint64_t CCMD_ICC = 1ull << 63, CCMD_GLOBAL = 1ull << 61;
constexpr uint64_t IOTLB_IVT = 1ull << 63, IOTLB_GLOBAL = 1ull << 60;
constexpr uint32_t FSTS_PPF = 1u << 1, FSTS_PFO = 1u << 0;
constexpr uint64_t PTE_R = 1, PTE_W = 2, ADDR = 0x000FFFFFFFFFF000ull;
constexpr uint8_t VEC_FAULT = 0x3F;
constexpr uint32_t MAX_DOMAINS = 64;

struct Unit {
  volatile uint8_t* regs = nullptr;
  uint64_t cap = 0, ecap = 0;
  uint32_t iotlb_off = 0, fault_off = 0, fault_count = 0;
  int levels = 0;       // second-level paging levels (3: 39-bit, 4: 48-bit)
  uint64_t root = 0;    // root table frame
  uint32_t gcmd = 0;    // enabled GCMD bits (GSTS mirrors them)
  uint64_t iq = 0;      // invalidation queue frame (0: register-based invalidation)
  uint32_t iq_tail = 0;
  uint64_t iq_status = 0;  // frame whose first word wait descriptors write
  uint32_t iq_seq = 0;
};
Unit g_unit;
pci::Drhd g_drhd;  // the unit's scope (which functions it translates)
bool g_active = false;

uint64_t* table(uint64_t phys) { return static_cast<uint64_t*>(frames::phys_to_virt(phys)); }

// Waits (bounded) for a command bit to show in GSTS or a busy bit to clear.
Status wait_status(uint32_t bit) {
  for (int i = 0; i < 1000000; ++i)
    if (rd32(R_GSTS) & bit) return {};
  return fail(Err::Failed);
}
Status wait_clear64(uint32_t off, uint64_t bit) {
  for (int i = 0; i < 1000000; ++i)
    if (!(rd64(off) & bit)) return {};
  return fail(Err::Failed);
}

}  // namespace

namespace unit {
uint32_t rd32(uint32_t off) { return *reinterpret_cast<volatile uint32_t*>(g_unit.regs + off); }
uint64_t rd64(uint32_t off) { return *reinterpret_cast<volatile uint64_t*>(g_unit.regs + off); }
void wr32(uint32_t off, uint32_t v) { *reinterpret_cast<volatile uint32_t*>(g_unit.regs + off) = v; }
void wr64(uint32_t off, uint64_t v) { *reinterpret_cast<volatile uint64_t*>(g_unit.regs + off) = v; }
uint64_t ecap() { return g_unit.ecap; }
const pci::Drhd& scope() { return g_drhd; }

Status command(uint32_t bit) {
  wr32(R_GCMD, g_unit.gcmd | bit);
  CAPOS_TRY_STATUS(wait_status(bit));
  if (bit != GCMD_SRTP && bit != GCMD_SIRTP) g_unit.gcmd |= bit;  // the pointer commands are one-shot
  return {};
}

Status invalidate(Span<const pci::vtd::Quad128> descs) {
  if (!g_unit.iq || descs.size() + 1 >= QI_ENTRIES) return fail(Err::Failed);
  auto* q = static_cast<pci::vtd::Quad128*>(frames::phys_to_virt(g_unit.iq));
  auto* status = static_cast<volatile uint32_t*>(frames::phys_to_virt(g_unit.iq_status));
  uint32_t seq = ++g_unit.iq_seq;
  if (seq == 0) seq = ++g_unit.iq_seq;  // 0 is "not written yet"
  *status = 0;
  for (const pci::vtd::Quad128& d : descs) {
    q[g_unit.iq_tail] = d;
    g_unit.iq_tail = (g_unit.iq_tail + 1) % QI_ENTRIES;
  }
  q[g_unit.iq_tail] = pci::vtd::inv_wait(g_unit.iq_status, seq);
  g_unit.iq_tail = (g_unit.iq_tail + 1) % QI_ENTRIES;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);  // descriptors visible before the tail moves
  wr64(R_IQT, uint64_t{g_unit.iq_tail} << 4);
  for (int i = 0; i < 1000000; ++i) {
    if (*status == seq) return {};
    if (rd32(R_FSTS) & FSTS_IQE) break;
    arch::pause();
  }
  klog("iommu: invalidation queue stalled (IQH {:#x} IQT {:#x} FSTS {:#x})\n", rd64(R_IQH), rd64(R_IQT), rd32(R_FSTS));
  return fail(Err::Failed);
}
}  // namespace unit

namespace {

// Global context-cache and IOTLB invalidation: queued once the queue is
// on (register-based invalidation is then not allowed), else through the
// registers.
void invalidate_all() {
  if (g_unit.iq) {
    const pci::vtd::Quad128 d[] = {pci::vtd::inv_context_global(), pci::vtd::inv_iotlb_global()};
    (void)unit::invalidate(Span<const pci::vtd::Quad128>(d, 2));  // a stall is logged; nothing else to do
    return;
  }
  wr64(R_CCMD, CCMD_ICC | CCMD_GLOBAL);
  (void)wait_clear64(R_CCMD, CCMD_ICC);
  wr64(g_unit.iotlb_off + 8, IOTLB_IVT | IOTLB_GLOBAL);
  (void)wait_clear64(g_unit.iotlb_off + 8, IOTLB_IVT);
}

// Queued invalidation on (needed for interrupt remapping). Leaves the
// unit on register-based invalidation if it has no queue or it fails.
Status enable_queued_invalidation() {
  if (!(g_unit.ecap & ECAP_QI)) return fail(Err::Unsupported);
  uint64_t iq = CAPOS_TRY(frames::alloc());
  auto st = frames::alloc();
  if (!st) {
    frames::free(iq);
    return fail(st.error());
  }
  wr64(R_IQT, 0);
  wr64(R_IQA, iq);  // 128-bit descriptors, one page (QS = 0)
  if (Status s = command(GCMD_QIE); !s) {
    frames::free(iq);
    frames::free(*st);
    return s;
  }
  g_unit.iq = iq;
  g_unit.iq_status = *st;
  g_unit.iq_tail = 0;
  return {};
}

void on_fault_irq(arch::InterruptFrame&) {
  arch::lapic_eoi();
  deferred::raise(deferred::IOMMU_FAULT);
}

void free_level(uint64_t phys, int level) {
  if (level > 1) {
    uint64_t* t = table(phys);
    for (int i = 0; i < 512; ++i)
      if (t[i] & PTE_R) free_level(t[i] & ADDR, level - 1);
  }
  frames::free(phys);
}

}  // namespace

struct Domain {
  uint8_t bus, devfn;
  uint16_t id;
  uint64_t root;  // top second-level table
  FaultFn on_fault;
  void* owner;
};

namespace {
Domain* g_domains[MAX_DOMAINS];
}  // namespace

bool active() { return g_active; }

Status init(uint64_t rsdp_hint) {
  Bytes t = CAPOS_TRY(acpi::find_table(rsdp_hint, "DMAR"));
  pci::Drhd units[4];
  pci::Dmar d = CAPOS_TRY(pci::parse_dmar(t, Span<pci::Drhd>(units, 4)));
  const pci::Drhd* u = nullptr;
  for (uint32_t i = 0; i < d.drhd_count; ++i)
    if (units[i].segment == 0) u = &units[i];
  if (!u || d.drhd_count != 1) return fail(Err::Unsupported);  // one unit on segment 0: all we drive
  g_drhd = *u;
  g_unit.regs = reinterpret_cast<volatile uint8_t*>(CAPOS_TRY(paging::map_mmio(u->register_base, 4096)));
  g_unit.cap = rd64(R_CAP);
  g_unit.ecap = rd64(R_ECAP);
  uint32_t sagaw = (g_unit.cap >> 8) & 0x1F;
  g_unit.levels = (sagaw & 2) ? 3 : (sagaw & 4) ? 4 : 0;
  if (!g_unit.levels) return fail(Err::Unsupported);
  g_unit.iotlb_off = static_cast<uint32_t>(((g_unit.ecap >> 8) & 0x3FF) * 16);
  g_unit.fault_off = static_cast<uint32_t>(((g_unit.cap >> 24) & 0x3FF) * 16);
  g_unit.fault_count = static_cast<uint32_t>(((g_unit.cap >> 40) & 0xFF) + 1);
  if (g_unit.iotlb_off + 16 > 4096 || g_unit.fault_off + 16 * g_unit.fault_count > 4096) return fail(Err::Corrupt);
  g_unit.root = CAPOS_TRY(frames::alloc());  // 256 empty root entries: every device blocked
  g_unit.gcmd = rd32(R_GSTS) & 0x96FFFFFFu;  // keep what firmware enabled (one-shot bits masked)

  // Fault events: MSI to this CPU; the handler only records.
  arch::set_irq_handler(VEC_FAULT, on_fault_irq);
  wr32(R_FEDATA, VEC_FAULT);
  wr32(R_FEADDR, 0xFEE00000u | (arch::lapic_id() << 12));
  wr32(R_FEUADDR, 0);
  wr32(R_FSTS, FSTS_PFO | FSTS_PPF);  // clear stale status (write-1-to-clear)
  wr32(R_FECTL, 0);                   // unmask

  Status qi = enable_queued_invalidation();
  wr64(R_RTADDR, g_unit.root);
  CAPOS_TRY_STATUS(command(GCMD_SRTP));
  invalidate_all();
  CAPOS_TRY_STATUS(command(GCMD_TE));
  g_active = true;
  klog("iommu: VT-d unit at {:#x}: translation on, {}-level tables, {} fault records, {} invalidation; all device "
       "DMA blocked until a DmaPool maps pages\n",
       u->register_base, g_unit.levels, g_unit.fault_count, qi ? "queued" : "register-based");
  if (!qi) {
    klog("iommu: no interrupt remapping (queued invalidation {}), MSIs stay in compatibility format\n",
         err_name(qi.error()));
  } else if (Status ir = intremap::init(); !ir) {
    klog("iommu: no interrupt remapping ({}), MSIs stay in compatibility format\n", err_name(ir.error()));
  }
  return {};
}

namespace {
// The context table of `bus`, created on first use.
Result<uint64_t*> context_table(uint8_t bus) {
  uint64_t* root = table(g_unit.root);
  if (!(root[2 * bus] & 1)) root[2 * bus] = CAPOS_TRY(frames::alloc()) | 1;
  return table(root[2 * bus] & ADDR);
}
}  // namespace

Result<Domain*> create_domain(uint8_t bus, uint8_t devfn, FaultFn on_fault, void* owner) {
  if (!g_active) return fail(Err::Unsupported);
  // A function outside the unit's scope is not translated at all.
  if (!g_drhd.covers(bus, devfn >> 3, devfn & 7)) return fail(Err::Unsupported);
  uint32_t slot = MAX_DOMAINS;
  for (uint32_t i = 0; i < MAX_DOMAINS; ++i) {
    if (g_domains[i] && g_domains[i]->bus == bus && g_domains[i]->devfn == devfn) return fail(Err::Busy);
    if (!g_domains[i] && slot == MAX_DOMAINS) slot = i;
  }
  if (slot == MAX_DOMAINS) return fail(Err::Overloaded);
  uint64_t* ctx = CAPOS_TRY(context_table(bus));
  auto* d = static_cast<Domain*>(heap::alloc(sizeof(Domain)));
  if (!d) return fail(Err::OutOfMemory);
  auto root = frames::alloc();
  if (!root) {
    heap::free(d);
    return fail(Err::OutOfMemory);
  }
  *d = Domain{bus, devfn, static_cast<uint16_t>(slot + 1), *root, on_fault, owner};
  // Context entry: present, translate through second-level tables
  // (TT=0), faults reported (FPD=0); address width, domain id.
  ctx[2 * devfn + 1] = uint64_t(g_unit.levels - 2) | (uint64_t{d->id} << 8);
  ctx[2 * devfn] = d->root | 1;
  g_domains[slot] = d;
  invalidate_all();
  return d;
}

Status map(Domain* d, uint64_t iova, uint64_t phys) {
  if ((iova | phys) & 0xFFF || iova >= (1ull << 39)) return fail(Err::InvalidArgument);
  uint64_t t = d->root;
  for (int level = g_unit.levels; level > 1; --level) {
    uint64_t* e = &table(t)[(iova >> (12 + 9 * (level - 1))) & 511];
    if (!(*e & PTE_R)) *e = CAPOS_TRY(frames::alloc()) | PTE_R | PTE_W;
    t = *e & ADDR;
  }
  table(t)[(iova >> 12) & 511] = phys | PTE_R | PTE_W;
  invalidate_all();
  return {};
}

void unmap(Domain* d, uint64_t iova) {
  uint64_t t = d->root;
  for (int level = g_unit.levels; level > 1; --level) {
    uint64_t e = table(t)[(iova >> (12 + 9 * (level - 1))) & 511];
    if (!(e & PTE_R)) return;
    t = e & ADDR;
  }
  table(t)[(iova >> 12) & 511] = 0;
  invalidate_all();
}

namespace {
// The leaf table entry for `iova`, or null when a table on the way is
// missing. With `alloc`, missing tables are created (`*made` counts them).
Result<uint64_t*> leaf(Domain* d, uint64_t iova, bool alloc, uint32_t* made) {
  uint64_t t = d->root;
  for (int level = g_unit.levels; level > 1; --level) {
    uint64_t* e = &table(t)[(iova >> (12 + 9 * (level - 1))) & 511];
    if (!(*e & PTE_R)) {
      if (!alloc) return static_cast<uint64_t*>(nullptr);
      *e = CAPOS_TRY(frames::alloc()) | PTE_R | PTE_W;
      ++*made;
    }
    t = *e & ADDR;
  }
  return &table(t)[(iova >> 12) & 511];
}

// Drops the domain's cached translations (IOTLB, domain-selective) and
// waits until the unit has drained what it had in flight.
void invalidate_domain(const Domain* d) {
  if (!g_unit.iq) return invalidate_all();
  const pci::vtd::Quad128 q[] = {pci::vtd::inv_iotlb_domain(d->id)};
  (void)unit::invalidate(Span<const pci::vtd::Quad128>(q, 1));  // a stall is logged; nothing else to do
}
}  // namespace

Result<uint32_t> prepare_range(Domain* d, uint64_t iova, uint64_t pages) {
  if (iova & 0xFFF || pages == 0 || iova + pages * 4096 > (1ull << 39)) return fail(Err::InvalidArgument);
  uint32_t made = 0;
  for (uint64_t i = 0; i < pages; i += 512 - ((iova >> 12) + i) % 512)
    (void)CAPOS_TRY(leaf(d, iova + i * 4096, true, &made));
  return made;
}

Status map_range(Domain* d, uint64_t iova, Span<const uint64_t> phys, bool writable) {
  if (iova & 0xFFF || iova + phys.size() * 4096 > (1ull << 39)) return fail(Err::InvalidArgument);
  uint32_t none = 0;
  for (size_t i = 0; i < phys.size(); ++i) {  // check first: all or nothing
    if (phys[i] & 0xFFF) return fail(Err::InvalidArgument);
    if (!CAPOS_TRY(leaf(d, iova + i * 4096, false, &none))) return fail(Err::InvalidArgument);
  }
  for (size_t i = 0; i < phys.size(); ++i)
    *CAPOS_TRY(leaf(d, iova + i * 4096, false, &none)) = phys[i] | PTE_R | (writable ? PTE_W : 0);
  invalidate_domain(d);  // caching-mode units may hold not-present entries
  return {};
}

void unmap_range(Domain* d, uint64_t iova, uint64_t pages) {
  uint32_t none = 0;
  for (uint64_t i = 0; i < pages; ++i) {
    auto e = leaf(d, iova + i * 4096, false, &none);
    if (e && *e) **e = 0;
  }
  invalidate_domain(d);
}

void destroy_domain(Domain* d) {
  uint64_t* ctx = table(table(g_unit.root)[2 * d->bus] & ADDR);
  ctx[2 * d->devfn] = 0;
  ctx[2 * d->devfn + 1] = 0;
  invalidate_all();  // the device is blocked before its tables go
  free_level(d->root, g_unit.levels);
  g_domains[d->id - 1] = nullptr;
  heap::free(d);
}

void handle_faults() {
  if (!g_active) return;
  for (uint32_t i = 0; i < g_unit.fault_count; ++i) {
    uint32_t off = g_unit.fault_off + 16 * i;
    uint64_t hi = rd64(off + 8);
    if (!(hi >> 63)) continue;
    uint64_t lo = rd64(off);
    uint16_t sid = hi & 0xFFFF;
    uint8_t reason = (hi >> 32) & 0xFF;
    bool write = !((hi >> 62) & 1);  // T: 0 write request, 1 read request
    wr64(off + 8, 1ull << 63);       // clear F (write-1-to-clear)
    uint64_t addr = lo & ADDR;
    if (reason >= pci::vtd::FAULT_IR_FIRST) {
      addr = lo >> 48;  // the interrupt index the request named
      klog("iommu: interrupt remapping fault: {:02x}:{:02x}.{} index {}, reason {:#x} ({})\n", sid >> 8,
           (sid >> 3) & 31, sid & 7, addr, reason, pci::vtd::fault_reason_name(reason));
    } else {
      klog("iommu: DMA fault: {:02x}:{:02x}.{} {} at iova {:#x}, reason {:#x}\n", sid >> 8, (sid >> 3) & 31, sid & 7,
           write ? "write" : "read", addr, reason);
    }
    for (Domain* d : g_domains)
      if (d && d->bus == (sid >> 8) && d->devfn == (sid & 0xFF)) d->on_fault(d->owner, addr, reason, write);
  }
  wr32(R_FSTS, FSTS_PFO | FSTS_PPF);
}

}  // namespace capos::iommu
