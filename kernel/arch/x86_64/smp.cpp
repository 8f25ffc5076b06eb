#include "kernel/arch/x86_64/smp.h"

#include "kernel/arch/x86_64/acpi.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/percpu.h"
#include "kernel/debug/log.h"
#include "kernel/dev/timer.h"
#include "kernel/mm/frames.h"
#include "kernel/mm/paging.h"
#include "lib/core/cstring.h"

extern "C" const uint8_t ap_trampoline_start[], ap_trampoline_end[];
extern "C" const uint8_t ap_slot_cr3[], ap_slot_stack[], ap_slot_entry[], ap_slot_arg[];

namespace capos::arch {

namespace {

uint32_t g_online = 1;           // the BSP; APs add themselves (atomic)
PerCpu g_ap_cpus[MAX_CPUS];      // index = logical cpu id (0 is the BSP's own record)
uint64_t g_kernel_cr3 = 0, g_cr4 = 0;

void spin_us(uint64_t us) {
  uint64_t hz = timer::tsc_hz();
  uint64_t end = rdtsc() + (hz ? hz / 1000000 * us : us * 1000);
  while (rdtsc() < end) pause();
}

template <class T> void slot(const uint8_t* sym, T value) {
  auto* copy = static_cast<uint8_t*>(frames::phys_to_virt(AP_TRAMPOLINE));
  memcpy(copy + (sym - ap_trampoline_start), &value, sizeof(T));
}

// Page tables for the switch to long mode: the first 2 MiB identity
// mapped (the trampoline runs there) and the kernel's higher half shared.
uint64_t build_trampoline_tables() {
  uint64_t pml4 = AP_TRAMPOLINE + 0x1000, pdpt = AP_TRAMPOLINE + 0x2000, pd = AP_TRAMPOLINE + 0x3000;
  auto* t4 = static_cast<uint64_t*>(frames::phys_to_virt(pml4));
  auto* t3 = static_cast<uint64_t*>(frames::phys_to_virt(pdpt));
  auto* t2 = static_cast<uint64_t*>(frames::phys_to_virt(pd));
  memset(t4, 0, 4096);
  memset(t3, 0, 4096);
  memset(t2, 0, 4096);
  const auto* kernel = static_cast<const uint64_t*>(frames::phys_to_virt(g_kernel_cr3 & ~0xFFFull));
  for (int i = 256; i < 512; ++i) t4[i] = kernel[i];
  t4[0] = pdpt | 0x3;        // present, writable
  t3[0] = pd | 0x3;
  t2[0] = 0x0 | 0x83;        // 2 MiB page: present, writable, PS
  return pml4;
}

}  // namespace

// First kernel code on an AP (from the trampoline, on its own stack).
extern "C" [[noreturn]] void ap_main(PerCpu* self) {
  write_cr3(g_kernel_cr3);           // the real kernel tables: the identity map goes away
  asm volatile("mov %0, %%cr4" : : "r"(g_cr4) : "memory");
  gdt_load();
  idt_load();
  wrmsr(MSR_GS_BASE, reinterpret_cast<uint64_t>(self));
  wrmsr(MSR_KERNEL_GS_BASE, 0);
  lapic_enable_this_cpu();
  self->apic_id = lapic_id();
  __atomic_add_fetch(&g_online, 1, __ATOMIC_RELEASE);
  // Parked until the scheduler runs on more than one CPU (issue 15).
  for (;;) asm volatile("cli; hlt");
}

uint32_t smp_start_aps(uint64_t rsdp_hint) {
  auto madt = acpi::find_madt(rsdp_hint);
  if (!madt) {
    klog("smp: no MADT ({}); running on the boot CPU only\n", err_name(madt.error()));
    return 1;
  }
  uint32_t bsp = lapic_id();
  g_kernel_cr3 = read_cr3();
  asm volatile("mov %%cr4, %0" : "=r"(g_cr4));
  size_t size = static_cast<size_t>(ap_trampoline_end - ap_trampoline_start);
  memcpy(frames::phys_to_virt(AP_TRAMPOLINE), ap_trampoline_start, size);
  slot(ap_slot_cr3, build_trampoline_tables());
  slot(ap_slot_entry, reinterpret_cast<uint64_t>(&ap_main));

  uint32_t next_id = 1, listed = 0;
  for (uint32_t i = 0; i < madt->lapic_count && i < acpi::MADT_MAX_CPUS; ++i) {
    uint32_t apic = madt->lapic_ids[i];
    ++listed;
    if (apic == bsp) continue;
    if (next_id >= MAX_CPUS) {
      klog("smp: CPU with APIC id {} skipped (at most {} CPUs)\n", apic, MAX_CPUS);
      continue;
    }
    auto stack = paging::alloc_kernel_stack(4);
    if (!stack) {
      klog("smp: no kernel stack for APIC id {}; skipped\n", apic);
      continue;
    }
    PerCpu* cpu = &g_ap_cpus[next_id];
    cpu->self = cpu;
    cpu->cpu_id = next_id;
    slot(ap_slot_stack, stack->top);
    slot(ap_slot_arg, reinterpret_cast<uint64_t>(cpu));
    uint32_t before = __atomic_load_n(&g_online, __ATOMIC_ACQUIRE);
    // INIT, then two STARTUPs (Intel SDM 8.4.4.1): vector = the page number.
    lapic_send_ipi(apic, 0x4500);
    spin_us(10000);
    for (int sipi = 0; sipi < 2 && __atomic_load_n(&g_online, __ATOMIC_ACQUIRE) == before; ++sipi) {
      lapic_send_ipi(apic, 0x4600 | static_cast<uint32_t>(AP_TRAMPOLINE >> 12));
      spin_us(200);
    }
    for (int wait = 0; wait < 1000 && __atomic_load_n(&g_online, __ATOMIC_ACQUIRE) == before; ++wait) spin_us(100);
    if (__atomic_load_n(&g_online, __ATOMIC_ACQUIRE) == before) {
      klog("smp: CPU with APIC id {} did not start; skipped\n", apic);
      paging::free_kernel_stack(*stack);  // never touched by the AP (it never reached the kernel)
      continue;
    }
    klog("smp: cpu {} online (APIC id {})\n", next_id, apic);
    ++next_id;
  }
  klog("smp: {} of {} CPUs online (boot CPU: APIC id {}); the others park until the scheduler is SMP\n",
       cpus_online(), listed ? listed : 1, bsp);
  return cpus_online();
}

uint32_t cpus_online() { return __atomic_load_n(&g_online, __ATOMIC_ACQUIRE); }

}  // namespace capos::arch
