// Boot entry for both protocols. QEMU -kernel enters through the PVH ELF
// note (32-bit protected mode, paging off, %ebx = hvm_start_info); GRUB
// enters through the Multiboot2 header (%eax = magic, %ebx = MBI). Both
// converge on a common path that builds temporary page tables (identity +
// higher-half 1 GiB with 2 MiB pages), enables long mode with NX, and
// calls kmain(protocol, info_phys) on the boot stack in the higher half.
#include "kernel/arch/x86_64/layout.h"

#define PHYS(sym) ((sym) - KERNEL_VMA)

// ---- Multiboot2 header: first 32 KiB, 8-byte aligned ----
.section .multiboot, "a"
.balign 8
mb2_header:
  .long 0xe85250d6                 // magic
  .long 0                          // architecture: i386 protected mode
  .long mb2_header_end - mb2_header
  .long -(0xe85250d6 + 0 + (mb2_header_end - mb2_header))
  // information request: cmdline(1), modules(3), mmap(6)
  .balign 8
  .short 1, 0
  .long 20
  .long 1, 3, 6
  .balign 8
  // entry address tag: GRUB may otherwise use e_entry, which is virtual
  .short 3, 0
  .long 12
  .long mb2_entry
  .balign 8
  .short 0, 0                      // end tag
  .long 8
mb2_header_end:

// ---- PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18) ----
.section .note.pvh, "a", @note
.balign 4
  .long 4                          // namesz ("Xen\0")
  .long 4                          // descsz
  .long 18                         // type
  .asciz "Xen"
  .long pvh_entry

.section .boot.text, "ax"
.code32
.global pvh_entry
pvh_entry:
  cli
  cld
  movl $BOOT_PROTO_PVH, %edi
  movl %ebx, %esi
  jmp common32

.global mb2_entry
mb2_entry:
  cli
  cld
  cmpl $MULTIBOOT2_BOOTLOADER_MAGIC, %eax
  jne boot_halt
  movl $BOOT_PROTO_MULTIBOOT2, %edi
  movl %ebx, %esi
  jmp common32

boot_halt:
  hlt
  jmp boot_halt

common32:
  // Temporary stack (physical) for the few pushes below.
  movl $PHYS(boot_stack_top), %esp

  // PML4[0] and PML4[511] -> PDPTs; PDPT_low[0] and PDPT_high[510] -> PD;
  // PD maps physical 0..1 GiB with 2 MiB pages.
  movl $PHYS(boot_pdpt_low), %eax
  orl $0x3, %eax
  movl %eax, PHYS(boot_pml4)
  movl $PHYS(boot_pdpt_high), %eax
  orl $0x3, %eax
  movl %eax, PHYS(boot_pml4) + 511 * 8
  movl $PHYS(boot_pd), %eax
  orl $0x3, %eax
  movl %eax, PHYS(boot_pdpt_low)
  movl %eax, PHYS(boot_pdpt_high) + 510 * 8
  xorl %ecx, %ecx
1:
  movl %ecx, %eax
  shll $21, %eax
  orl $0x83, %eax                  // present | writable | 2 MiB page
  movl %eax, PHYS(boot_pd)(,%ecx,8)
  incl %ecx
  cmpl $512, %ecx
  jne 1b

  movl %cr4, %eax
  orl $(1 << 5), %eax              // PAE
  movl %eax, %cr4
  movl $PHYS(boot_pml4), %eax
  movl %eax, %cr3
  movl $0xC0000080, %ecx           // EFER
  rdmsr
  orl $((1 << 8) | (1 << 11)), %eax  // LME | NXE
  wrmsr
  movl %cr0, %eax
  orl $((1 << 31) | (1 << 16) | 1), %eax  // PG | WP | PE
  movl %eax, %cr0

  lgdt PHYS(boot_gdt_ptr)
  ljmp $0x08, $long_mode_low

.code64
long_mode_low:
  movw $0x10, %ax
  movw %ax, %ds
  movw %ax, %es
  movw %ax, %ss
  xorw %ax, %ax
  movw %ax, %fs
  movw %ax, %gs
  movabsq $higher_half, %rax
  jmp *%rax

.section .rodata.boot, "a"
.balign 16
boot_gdt:
  .quad 0
  .quad 0x00AF9A000000FFFF         // 0x08: 64-bit code
  .quad 0x00CF92000000FFFF         // 0x10: data
boot_gdt_end:
boot_gdt_ptr:
  .short boot_gdt_end - boot_gdt - 1
  .long PHYS(boot_gdt)

.text
higher_half:
  movabsq $boot_stack_top, %rsp
  xorl %ebp, %ebp                  // terminates frame-pointer backtraces
  // %edi = protocol, %esi = info physical address (zero-extended)
  movl %esi, %esi
  call kmain
2:
  cli
  hlt
  jmp 2b

.section .bss.boot, "aw", @nobits
.balign 4096
.global boot_pml4
boot_pml4: .skip 4096
boot_pdpt_low: .skip 4096
boot_pdpt_high: .skip 4096
boot_pd: .skip 4096
.balign 16
boot_stack_bottom: .skip 16384
.global boot_stack_top
boot_stack_top:
