#include "kernel/objects/system_caps.h"

#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/tlb.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/objects/kernel_server.h"
#include "kernel/debug/log.h"
#include "kernel/dev/debug_exit.h"
#include "kernel/dev/power.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/proc/process.h"
#include "kernel/proc/shared_image.h"

namespace capos {

namespace wire = schema::wire;
using SS = wire::SystemStatus;
using SC = wire::SystemControl;

namespace {

uint32_t clamp32(uint64_t v) { return v > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<uint32_t>(v); }

void fill_usage(const ResourceLedger& l, SS::LedgerUsage::Builder u) {
  u.setCapSlotsUsed(clamp32(l.used(Res::CapSlots)));
  u.setCapSlotsMax(clamp32(l.limit(Res::CapSlots)));
  u.setFramePagesUsed(clamp32(l.used(Res::FramePages)));
  u.setFramePagesMax(clamp32(l.limit(Res::FramePages)));
  u.setVirtualPagesUsed(clamp32(l.used(Res::VirtualPages)));
  u.setVirtualPagesMax(clamp32(l.limit(Res::VirtualPages)));
  u.setOutstandingCallsUsed(clamp32(l.used(Res::OutstandingCalls)));
  u.setOutstandingCallsMax(clamp32(l.limit(Res::OutstandingCalls)));
  u.setPageTablesUsed(clamp32(l.used(Res::PageTables)));
  u.setPageTablesMax(clamp32(l.limit(Res::PageTables)));
  u.setKernelBytesUsed(clamp32(l.used(Res::KernelBytes)));
  u.setKernelBytesMax(clamp32(l.limit(Res::KernelBytes)));
}

constexpr uint32_t MAX_PROCESS_ENTRIES = 64;

}  // namespace

void SystemStatusCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status SystemStatusCap::memory(SS::MemoryParams::Reader, SS::MemoryResults::Builder r) {
  r.setTotalFrames(frames::managed_count());
  r.setFreeFrames(frames::free_count());
  r.setPageSize(4096);
  r.setSharedProgramFrames(shared_images::frames_held());
  return {};
}

Status SystemStatusCap::processes(SS::ProcessesParams::Reader p, SS::ProcessesResults::Builder r) {
  uint32_t max = min(p.getMaxEntries(), MAX_PROCESS_ENTRIES);
  Process* list[MAX_PROCESS_ENTRIES];
  uint32_t total = 0;
  uint32_t n = Process::snapshot(list, max, p.getOffset(), &total);
  auto entries = CAPOS_TRY(r.initEntries(n));
  for (uint32_t i = 0; i < n; ++i) {
    auto e = entries[i];
    e.setPid(list[i]->pid());
    CAPOS_TRY_STATUS(e.setName(StrView(list[i]->name())));
    CAPOS_TRY_STATUS(e.setBinary(list[i]->watch()->binary()));
    e.setThreads(list[i]->thread_count());
    fill_usage(list[i]->ledger(), CAPOS_TRY(e.initUsage()));
  }
  r.setTotal(total);
  return {};
}

Status SystemStatusCap::selfLedger(SS::SelfLedgerParams::Reader, SS::SelfLedgerResults::Builder r) {
  fill_usage(current_call().caller.ledger(), CAPOS_TRY(r.initUsage()));
  return {};
}

Status SystemStatusCap::cpus(SS::CpusParams::Reader, SS::CpusResults::Builder r) {
  uint32_t n = arch::cpu_count();
  auto list = CAPOS_TRY(r.initCpus(n));
  for (uint32_t i = 0; i < n; ++i) {
    const arch::PerCpu& c = arch::cpu(i);
    auto e = list[i];
    e.setId(i);
    e.setApicId(c.apic_id);
    e.setScheduling(__atomic_load_n(&c.online, __ATOMIC_ACQUIRE) != 0);
    e.setBusyCycles(__atomic_load_n(&c.busy_cycles, __ATOMIC_RELAXED));
    e.setIpisReceived(__atomic_load_n(&c.ipis_received, __ATOMIC_RELAXED));
    e.setTimerTicks(__atomic_load_n(&c.ticks, __ATOMIC_RELAXED));
  }
  r.setKernelLockContentions(g_kernel_lock.contentions());
  r.setTlbShootdowns(arch::tlb::requests());
  return {};
}

void SystemControlCap::invoke(CallContext& ctx) { dispatch_kernel_server(*this, ctx); }

Status SystemControlCap::shutdown(SC::ShutdownParams::Reader p, SC::ShutdownResults::Builder) {
  const char* who = current_call().caller.name();
  uint8_t status = p.getStatus();
  switch (p.getMode()) {
    case SC::ShutdownMode::HALT:
      klog("capOS: halt requested by {} (status {})\n", who, status);
      arch::halt_forever();
    case SC::ShutdownMode::REBOOT:
      klog("capOS: reboot requested by {}\n", who);
      power::reboot();  // QEMU -no-reboot turns the reset into an exit
    default: {
      klog("capOS: power off requested by {} (status {})\n", who, status);
      Status st = power::power_off(status == 0 ? debug_exit::SUCCESS : debug_exit::INIT_FAILED);
      // Still running: neither the exit device nor ACPI S5 worked; the
      // caller learns that instead of a machine that silently stops.
      klog("capOS: power off failed ({})\n", err_name(st.error()));
      return st;
    }
  }
}

}  // namespace capos
