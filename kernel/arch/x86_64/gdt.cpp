#include "kernel/arch/x86_64/gdt.h"

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
alignas(16) uint8_t g_ist_stacks[3][IST_SIZE];
Tss g_tss;
uint64_t g_gdt[7];

}  // namespace

void gdt_init() {
  g_gdt[0] = 0;
  g_gdt[1] = 0x00AF9A000000FFFF;  // kernel code, 64-bit
  g_gdt[2] = 0x00CF92000000FFFF;  // kernel data
  g_gdt[3] = 0x00CFF2000000FFFF;  // user data (DPL 3)
  g_gdt[4] = 0x00AFFA000000FFFF;  // user code, 64-bit (DPL 3)
  memset(&g_tss, 0, sizeof(g_tss));
  for (int i = 0; i < 3; ++i) g_tss.ist[i] = reinterpret_cast<uint64_t>(g_ist_stacks[i] + IST_SIZE);
  g_tss.iomap_base = sizeof(Tss);  // no I/O permission bitmap: all ports denied to ring 3
  uint64_t base = reinterpret_cast<uint64_t>(&g_tss);
  uint64_t limit = sizeof(Tss) - 1;
  g_gdt[5] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xF) << 48) |
             (((base >> 24) & 0xFF) << 56);
  g_gdt[6] = base >> 32;

  gdt_load();
  asm volatile("ltr %w0" : : "r"(static_cast<uint32_t>(TSS_SEL)) : "memory");
}

void gdt_load() {
  DescriptorPtr ptr{sizeof(g_gdt) - 1, reinterpret_cast<uint64_t>(g_gdt)};
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

void set_kernel_stack(uint64_t rsp0) { g_tss.rsp[0] = rsp0; }

}  // namespace capos::arch
