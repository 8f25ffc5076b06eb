#include "kernel/arch/x86_64/gdt.h"

#include "kernel/arch/x86_64/percpu.h"
#include "lib/core/cstring.h"

namespace capos::arch {

namespace {

struct [[gnu::packed]] Tss {
  uint32_t reserved0;
  uint64_t rsp[3];
  uint64_t reserved1;
  uint64_t ist[7];
  uint64_t reserved2;
  uint16_t reserved3;
  uint16_t iomap_base;
};
static_assert(sizeof(Tss) == 104);

struct [[gnu::packed]] DescriptorPtr {
  uint16_t limit;
  uint64_t base;
};

constexpr uint64_t IST_SIZE = 16384;
alignas(16) uint8_t g_boot_ist_stacks[3][IST_SIZE];  // the boot CPU's; APs bring their own
// One GDT and TSS per CPU: a TSS descriptor is marked busy by `ltr`, so
// CPUs cannot share one, and each CPU needs its own ring-0 stack pointer
// and IST stacks (an NMI on two CPUs at once must not share a stack).
Tss g_tss[MAX_CPUS];
uint64_t g_gdt[MAX_CPUS][7];

void build(uint32_t cpu, const uint64_t (&ist_tops)[3]) {
  uint64_t* gdt = g_gdt[cpu];
  gdt[0] = 0;
  gdt[1] = 0x00AF9A000000FFFF;  // kernel code, 64-bit
  gdt[2] = 0x00CF92000000FFFF;  // kernel data
  gdt[3] = 0x00CFF2000000FFFF;  // user data (DPL 3)
  gdt[4] = 0x00AFFA000000FFFF;  // user code, 64-bit (DPL 3)
  Tss& tss = g_tss[cpu];
  memset(&tss, 0, sizeof(tss));
  for (int i = 0; i < 3; ++i) tss.ist[i] = ist_tops[i];
  tss.iomap_base = sizeof(Tss);  // no I/O permission bitmap: all ports denied to ring 3
  uint64_t base = reinterpret_cast<uint64_t>(&tss);
  uint64_t limit = sizeof(Tss) - 1;
  gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xF) << 48) |
           (((base >> 24) & 0xFF) << 56);
  gdt[6] = base >> 32;
}

void load(uint32_t cpu) {
  DescriptorPtr ptr{sizeof(g_gdt[cpu]) - 1, reinterpret_cast<uint64_t>(g_gdt[cpu])};
  asm volatile(
      "lgdt %0\n"
      "pushq %1\n"
      "leaq 1f(%%rip), %%rax\n"
      "pushq %%rax\n"
      "lretq\n"
      "1:\n"
      "movw %w2, %%ds\n"
      "movw %w2, %%es\n"
      "movw %w2, %%ss\n"
      :
      : "m"(ptr), "i"(static_cast<uint64_t>(KERNEL_CS)), "r"(static_cast<uint32_t>(KERNEL_DS))
      : "rax", "memory");
}

}  // namespace

void gdt_init() {
  uint64_t tops[3];
  for (int i = 0; i < 3; ++i) tops[i] = reinterpret_cast<uint64_t>(g_boot_ist_stacks[i] + IST_SIZE);
  build(0, tops);
  load(0);
  arch::cpu(0).tss_rsp0 = &g_tss[0].rsp[0];  // before percpu_init: not through GS
  asm volatile("ltr %w0" : : "r"(static_cast<uint32_t>(TSS_SEL)) : "memory");
}

void gdt_load() { load(0); }

void gdt_init_cpu(uint32_t cpu, const uint64_t (&ist_tops)[3]) {
  build(cpu, ist_tops);
  arch::cpu(cpu).tss_rsp0 = &g_tss[cpu].rsp[0];
  load(cpu);
  asm volatile("ltr %w0" : : "r"(static_cast<uint32_t>(TSS_SEL)) : "memory");
}

}  // namespace capos::arch
