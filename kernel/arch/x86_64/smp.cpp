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
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/sched/scheduler.h"
#include "lib/core/cstring.h"

extern "C" const uint8_t ap_trampoline_start[], ap_trampoline_end[];
extern "C" const uint8_t ap_slot_cr3[], ap_slot_stack[], ap_slot_entry[], ap_slot_arg[];

namespace capos::arch {

namespace {

uint64_t g_kernel_cr3 = 0, g_cr4 = 0;
uint64_t g_ist_tops[MAX_CPUS][3];  // each AP's double-fault, NMI and machine-check stacks

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

// First kernel code on an AP (from the trampoline, on its own stack,
// which becomes its throwaway boot context).
extern "C" [[noreturn]] void ap_main(PerCpu* self) {
  write_cr3(g_kernel_cr3);           // the real kernel tables: the identity map goes away
  asm volatile("mov %0, %%cr4" : : "r"(g_cr4) : "memory");
  gdt_load();
  wrmsr(MSR_GS_BASE, reinterpret_cast<uint64_t>(self));
  wrmsr(MSR_KERNEL_GS_BASE, 0);
  gdt_init_cpu(self->cpu_id, g_ist_tops[self->cpu_id]);  // its own TSS and IST stacks
  idt_load();
  syscall_init();                    // SYSCALL MSRs are per CPU
  fpu_init_this_cpu();
  lapic_enable_this_cpu();
  self->apic_id = lapic_id();
  lapic_timer_start_this_cpu();      // masked until it enables interrupts in the scheduler
  percpu_arrived();
  sched::start_ap();
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
    paging::KernelStack ist[3];
    bool ist_ok = true;
    for (int k = 0; k < 3 && ist_ok; ++k) {
      auto s = paging::alloc_kernel_stack(4);
      if (s) ist[k] = *s, g_ist_tops[next_id][k] = s->top;
      else ist_ok = false;
    }
    if (!ist_ok) {
      klog("smp: no interrupt stacks for APIC id {}; skipped\n", apic);
      for (auto& k : ist)
        if (k.top) paging::free_kernel_stack(k);
      paging::free_kernel_stack(*stack);
      continue;
    }
    PerCpu* cpu = &arch::cpu(next_id);
    cpu->self = cpu;
    cpu->cpu_id = next_id;
    slot(ap_slot_stack, stack->top);
    slot(ap_slot_arg, reinterpret_cast<uint64_t>(cpu));
    uint32_t before = cpu_count();
    // INIT, then two STARTUPs (Intel SDM 8.4.4.1): vector = the page number.
    lapic_send_ipi(apic, 0x4500);
    spin_us(10000);
    for (int sipi = 0; sipi < 2 && cpu_count() == before; ++sipi) {
      lapic_send_ipi(apic, 0x4600 | static_cast<uint32_t>(AP_TRAMPOLINE >> 12));
      spin_us(200);
    }
    for (int wait = 0; wait < 1000 && cpu_count() == before; ++wait) spin_us(100);
    if (cpu_count() == before) {
      klog("smp: CPU with APIC id {} did not start; skipped\n", apic);
      paging::free_kernel_stack(*stack);  // never touched by the AP (it never reached the kernel)
      for (auto& k : ist) paging::free_kernel_stack(k);
      continue;
    }
    klog("smp: cpu {} online (APIC id {})\n", next_id, apic);
    ++next_id;
  }
  klog("smp: {} of {} CPUs online (boot CPU: APIC id {}); each enters the scheduler with the boot CPU\n",
       cpus_online(), listed ? listed : 1, bsp);
  return cpus_online();
}

uint32_t cpus_online() { return cpu_count(); }

}  // namespace capos::arch
