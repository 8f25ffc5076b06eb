// Kernel entry after boot.S: bring up the CPU tables, memory, time, then
// start init from the boot package (the test image may first run the boot
// self test selected on the command line, kernel/boot/test_entry.h).
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/layout.h"
#include "kernel/arch/x86_64/ioapic.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/boot/bootinfo.h"
#include "kernel/debug/ksyms.h"
#include "kernel/debug/log.h"
#include "kernel/debug/panic.h"
#include "kernel/dev/serial.h"
#include "kernel/dev/power.h"
#include "kernel/dev/timer.h"
#include "kernel/dev/hwrng.h"
#include "kernel/dev/iommu.h"
#include "kernel/dev/pci.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/paging.h"
#include "kernel/boot/init_loader.h"
#include "kernel/boot/test_entry.h"
#include "kernel/objects/console_cap.h"
#include "kernel/objects/device_caps.h"
#include "kernel/objects/timer_cap.h"
#include "kernel/proc/process.h"
#include "kernel/sched/deferred.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/sched_context.h"
#include "kernel/version.h"
#include "lib/core/cstring.h"

extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace capos {

namespace {

BootInfo g_boot;

// Records the tick; sleeps and cap_enter deadlines expire at the next
// deferred-work point (kernel/sched/deferred.h), whoever was interrupted.
void on_timer_tick(const arch::InterruptFrame&) {
  // Timer work once per period: the boot CPU's tick, or, while the boot
  // CPU idles without a tick, the first tick of the period on any other
  // CPU. Every CPU's tick ends its running thread's slice.
  // A one-shot on the idle boot CPU (a deadline, maybe 1 ms away) counts
  // as a tick only once per period, so timeouts in ticks keep their length.
  bool tickless = sched::boot_cpu_tickless();
  if (arch::this_cpu_id() == 0) {
    if (tickless) (void)timer::claim_period();
    else timer::count_tick();
    deferred::raise(deferred::TIMER);
  } else if (tickless && timer::claim_period()) {
    deferred::raise(deferred::TIMER);
  }
  sched::on_tick();
}

// When timer work is next due (monotonic ns; ~0 = nothing waits for
// time): the boot CPU's tickless idle arms a one-shot for it.
uint64_t next_timer_work_ns() CAPOS_REQUIRES(g_kernel_lock) {
  uint64_t d = TimerCap::next_deadline();
  if (uint64_t p = ParkSpace::next_deadline(); p < d) d = p;
  if (uint64_t w = sched::next_waiter_deadline(); w < d) d = w;
  // A throttled SchedulingContext renews at its period's end: check every
  // period, as the tick did.
  if (sched::budget_hooks::throttled_count()) {
    uint64_t t = timer::now_ns() + 1000000000ull / timer::TICK_HZ;
    if (t < d) d = t;
  }
  return d;
}

void on_timer_work() CAPOS_REQUIRES(g_kernel_lock) {
  TimerCap::expire();
  ParkSpace::expire_all();
  sched::budget_hooks::release_due(arch::rdtsc());  // SchedulingContext periods that renewed
  sched::expire_waiters();
}

void run_constructors() {
  for (auto** f = __init_array_start; f != __init_array_end; ++f) (*f)();
}

void print_memory_map(const BootInfo& bi) {
  uint64_t usable = 0;
  klog("memory map ({} entries from {}):\n", bi.region_count, bi.protocol_name());
  for (size_t i = 0; i < bi.region_count; ++i) {
    const MemRegion& r = bi.regions[i];
    klog("  [{:#014x} - {:#014x}) {:>8} KiB  {}\n", r.base, r.base + r.length, r.length / 1024,
         mem_type_name(r.type));
    if (r.type == MemType::Usable) usable += r.length;
  }
  if (bi.regions_truncated) klog("  (memory map truncated to {} entries)\n", BootInfo::MAX_REGIONS);
  klog("usable memory: {} MiB\n", usable >> 20);
}

void report_modules(const BootInfo& bi) {
  if (bi.module_count > 1)
    panic("boot: expected at most one boot module (the boot package), the loader passed {}", bi.module_count);
  if (bi.module_count == 0) {
    klog("boot modules: none (boot package slot empty)\n");
    return;
  }
  klog("boot modules: 1 (boot package slot) at {:#x}, {} bytes\n", bi.modules[0].phys, bi.modules[0].size);
}

[[noreturn]] void kmain_late() {
  arch::percpu_init();
  arch::syscall_init();
  arch::fpu_init();
  hwrng::init();
  process_init();
  Status t = sched::init();
  if (!t) panic("sched: cannot create the idle thread: {}", err_name(t.error()));
  t = timer::init();
  if (!t) panic("timer: initialization failed: {}", err_name(t.error()));
  deferred::set_handler(deferred::TIMER, on_timer_work);
  sched::set_timer_work_source(next_timer_work_ns);
  deferred::set_handler(deferred::CONSOLE_INPUT, ConsoleCap::deliver_input);
  deferred::set_handler(deferred::DEVICE_IRQ, InterruptCap::deliver);
  deferred::set_handler(deferred::IOMMU_FAULT, iommu::handle_faults);
  arch::set_return_to_user_hook(sched::exit_to_user, sched::exit_to_user_needed);
  timer::set_tick_hook(on_timer_tick);
  t = arch::ioapic_init(g_boot.rsdp_phys);
  if (!t) klog("ioapic: unavailable ({}); no serial input\n", err_name(t.error()));
  else if (!(t = serial::enable_rx_interrupts(ConsoleCap::input_arrived))) klog("serial: RX interrupt unavailable ({})\n", err_name(t.error()));
  if (Status p = pci::init(g_boot.rsdp_phys); !p) klog("pci: no PCIe configuration space ({})\n", err_name(p.error()));
  if (pci::iommu_present())
    if (Status i = iommu::init(g_boot.rsdp_phys); !i) klog("iommu: not used ({}); DMA is not isolated\n", err_name(i.error()));
  arch::sti();
  power::init(g_boot.rsdp_phys);
  klog("timer: LAPIC periodic {} Hz (LAPIC {} kHz, TSC {} MHz)\n", timer::TICK_HZ, timer::lapic_hz() / 1000,
       timer::tsc_hz() / 1000000);
  klog("frames: {} free of {} managed ({} MiB free)\n", frames::free_count(), frames::managed_count(),
       frames::free_count() * PAGE_SIZE >> 20);
  const auto& cpu = paging::cpu_features();
  klog("cpu: NX {} SMEP {} SMAP {} UMIP {}; kernel symbols: {}\n", cpu.nx, cpu.smep, cpu.smap, cpu.umip,
       ksyms::count());
  arch::smp_start_aps(g_boot.rsdp_phys);
  char hv[13] = {};
  if (arch::cpuid(1).ecx & (1u << 31)) {
    auto r = arch::cpuid(0x40000000);
    memcpy(hv, &r.ebx, 4);
    memcpy(hv + 4, &r.ecx, 4);
    memcpy(hv + 8, &r.edx, 4);
    klog("cpu: hypervisor '{}'\n", StrView(hv));
    // Its virtual CPUs can be descheduled while they wait: a fair lock
    // would convoy behind them (kernel/sched/kernel_lock.h).
    g_kernel_lock.set_virtual();
  }
  klog("\n{}\n\n", CAPOS_BANNER);
  klog("capOS: boot complete\n");

  // From here on the boot context runs kernel code like any thread: under
  // the kernel lock, which sched::start() hands to the first thread.
  g_kernel_lock.acquire();
  test_entry::run_selected(g_boot);  // only the test image has self tests

  start_init(g_boot);
  sched::start();
}

// Moves execution from the boot stack onto a guarded kernel stack.
[[noreturn]] void switch_stack(uint64_t top, void (*fn)()) {
  asm volatile(
      "movq %0, %%rsp\n"
      "xorl %%ebp, %%ebp\n"
      "call *%1\n"
      "ud2\n"
      :
      : "r"(top), "r"(fn)
      : "memory");
  __builtin_unreachable();
}

}  // namespace

extern "C" [[noreturn]] void kmain(uint32_t protocol, uint64_t info_phys) {
  serial::init();
  run_constructors();
  arch::gdt_init();
  arch::idt_init();
  klog("\ncapOS kernel {} starting (boot protocol {})\n", CAPOS_VERSION,
       protocol == BOOT_PROTO_PVH ? "PVH" : protocol == BOOT_PROTO_MULTIBOOT2 ? "Multiboot2" : "?");

  Status st = parse_boot_info(static_cast<int>(protocol), info_phys, &g_boot);
  if (!st) panic("boot: cannot parse the {} boot information at {:#x}: {}", g_boot.protocol_name(), info_phys,
                 err_name(st.error()));
  if (g_boot.cmdline[0]) klog("command line: {}\n", g_boot.cmdline);
  if (g_boot.efi_system_table) klog("firmware: UEFI (system table at {:#x})\n", g_boot.efi_system_table);
  print_memory_map(g_boot);
  report_modules(g_boot);

  st = frames::init(g_boot);
  if (!st) panic("frames: cannot build the frame allocator: {}", err_name(st.error()));
  st = paging::init(g_boot);
  if (!st) panic("paging: cannot build kernel page tables: {}", err_name(st.error()));
  klog("paging: kernel tables live (W^X sections, direct map at {:#x})\n", DIRECT_MAP_BASE);

  auto stack = paging::alloc_kernel_stack(8);
  if (!stack) panic("cannot allocate the boot kernel stack: {}", err_name(stack.error()));
  switch_stack(stack->top, kmain_late);
}

}  // namespace capos
