#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/dev/intremap.h"
#include "kernel/objects/device_caps.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/sched/deferred.h"
#include "lib/capnp/message.h"
#include "lib/pci/vtd_format.h"

namespace capos {

namespace wire = schema::wire;

namespace {

// Device vectors: above the timer/serial block, below the spurious vector.
constexpr uint8_t FIRST_VECTOR = 0x40;
constexpr uint32_t VECTORS = 64;
InterruptCap* g_by_vector[VECTORS];  // touched with interrupts disabled
static_assert(VECTORS <= 64);
// Vectors that fired since the last deliver(), one bit each (set from
// interrupt context on any CPU): deliver looks at those, not at all 64
// (a scan of every vector cost ~250 instructions per device interrupt).
uint64_t g_fired_vectors = 0;

// MSI-X table entry: message address low/high, data, vector control.
constexpr uint32_t ENTRY_ADDR_LO = 0, ENTRY_ADDR_HI = 1, ENTRY_DATA = 2, ENTRY_CTL = 3;
constexpr uint32_t ENTRY_MASKED = 1;
constexpr uint32_t MSIX_ENABLE = 1u << 31, MSIX_FUNCTION_MASK = 1u << 30;  // in the cap's first dword

}  // namespace

Result<Ref<KObject>> InterruptCap::create(Ref<DeviceMmioCap> dev, uint16_t entry) {
  DeviceMmioCap& mmio = *dev.get();
  volatile uint32_t* e = mmio.msix_entry(entry);
  if (!e) return fail(Err::Unsupported);
  arch::IrqGuard irq;
  uint32_t slot = VECTORS;
  for (uint32_t i = 0; i < VECTORS && slot == VECTORS; ++i)
    if (!g_by_vector[i]) slot = i;
  if (slot == VECTORS) return fail(Err::Overloaded);
  uint8_t vector = static_cast<uint8_t>(FIRST_VECTOR + slot);
  pci::Device& d = mmio.device();
  // Edge-triggered, fixed delivery to this CPU. With interrupt remapping
  // the entry names an IRTE that only this function may use; otherwise it
  // is a compatibility-format message.
  uint32_t addr = 0xFEE00000u | (arch::lapic_id() << 12), data = vector;
  uint16_t irte = 0;
  if (iommu::intremap::active()) {
    uint16_t sid = static_cast<uint16_t>(d.bus << 8 | d.dev << 3 | d.fn);
    irte = CAPOS_TRY(iommu::intremap::alloc(sid, vector, static_cast<uint8_t>(arch::lapic_id())));
    pci::vtd::MsiMessage m = pci::vtd::remappable_msi(irte);
    addr = m.addr_lo;
    data = m.data;
  }
  Ref<InterruptCap> obj = HeapKernelCap<InterruptCap>::create(dev, entry, vector, irte);
  if (!obj) {
    if (irte) iommu::intremap::free(irte);
    return fail(Err::Overloaded);
  }
  g_by_vector[slot] = obj.get();
  arch::set_irq_handler(vector, on_irq);

  // Then unmask the entry and switch MSI-X on (and legacy INTx off) for
  // the function.
  e[ENTRY_CTL] = ENTRY_MASKED;
  e[ENTRY_ADDR_LO] = addr;
  e[ENTRY_ADDR_HI] = 0;
  e[ENTRY_DATA] = data;
  e[ENTRY_CTL] = 0;
  uint32_t cmd = pci::config_read32(d, pci::reg::COMMAND) & 0xFFFF;
  pci::config_write32(d, pci::reg::COMMAND, cmd | pci::cmd::INTX_DISABLE);
  uint32_t ctl = pci::config_read32(d, d.info.msix.offset);
  pci::config_write32(d, d.info.msix.offset, (ctl | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK);
  return Ref<KObject>(move(obj));
}

InterruptCap::~InterruptCap() {
  arch::IrqGuard irq;
  if (volatile uint32_t* e = mmio().msix_entry(entry_)) e[ENTRY_CTL] = ENTRY_MASKED;
  if (irte_) {  // masked above: the device no longer names the entry
    g_kernel_lock.assert_held();  // releases run in kernel context, never from an interrupt
    iommu::intremap::free(irte_);
  }
  g_by_vector[vector_ - FIRST_VECTOR] = nullptr;
  arch::set_irq_handler(vector_, nullptr);
  mmio().release_route(entry_);
  if (IpcCall* c = waiter_) {  // the capability went while a wait was pending
    g_kernel_lock.assert_held();  // releases run in kernel context, never from an interrupt
    waiter_ = nullptr;
    ipc::fail_deferred(c, CAPOS_CAP_ERROR(DISCONNECTED, "the interrupt line was released"));
  }
}

// Interrupt context: count, acknowledge, record. Nothing else.
void InterruptCap::on_irq(arch::InterruptFrame& f) {
  uint32_t slot = f.vector - FIRST_VECTOR;
  if (slot < VECTORS && g_by_vector[slot]) {
    __atomic_add_fetch(&g_by_vector[slot]->fired_, 1, __ATOMIC_RELAXED);
    __atomic_or_fetch(&g_fired_vectors, uint64_t{1} << slot, __ATOMIC_RELEASE);
  }
  arch::lapic_eoi();
  deferred::raise(deferred::DEVICE_IRQ);
}

// A vector whose cap has no waiter keeps its count in fired_ (the next
// wait answers at once from it), so its bit may go.
void InterruptCap::deliver() {
  for (uint64_t bits = __atomic_exchange_n(&g_fired_vectors, 0, __ATOMIC_ACQUIRE); bits; bits &= bits - 1) {
    InterruptCap* c = g_by_vector[__builtin_ctzll(bits)];
    if (!c || !c->waiter_ || !__atomic_load_n(&c->fired_, __ATOMIC_RELAXED)) continue;
    c->complete(__atomic_exchange_n(&c->fired_, 0, __ATOMIC_ACQ_REL));
  }
}

void InterruptCap::complete(uint64_t count) {
  IpcCall* c = waiter_;
  waiter_ = nullptr;
  alignas(8) uint8_t buf[64];
  capnp::FixedMessageBuilder mb(MutBytes(buf, sizeof(buf)));
  auto r = IRQ::WaitResults::initRoot(mb);
  if (r) {
    r->setCount(count);
    ipc::complete_deferred(c, mb.framed(), false);
  } else {
    ipc::fail_deferred(c, CAPOS_CAP_ERROR(INVOKE_FAILED, "the reply could not be encoded"));
  }
}

void InterruptCap::cancel(IpcCall* c) {
  arch::IrqGuard irq;
  if (waiter_ == c) waiter_ = nullptr;
}

void InterruptCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status InterruptCap::wait(IRQ::WaitParams::Reader, IRQ::WaitResults::Builder r) {
  if (waiter_) return fail(Err::Overloaded);
  if (uint64_t n = __atomic_exchange_n(&fired_, 0, __ATOMIC_ACQ_REL)) {
    r.setCount(n);  // already fired: answer now
    return {};
  }
  // An interrupt arriving from here on is counted and completes this wait
  // at the deferred-work point, which runs only after this call returns.
  CallContext& ctx = current_call();
  IpcCall* c = CAPOS_TRY(ipc::defer_kernel_call(ctx, *this));  // the caller's quota
  ctx.deferred = c;
  arch::IrqGuard irq;
  waiter_ = c;
  return {};
}

}  // namespace capos
