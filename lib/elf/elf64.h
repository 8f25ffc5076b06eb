// ELF64 on-disk structures and the constants the loader needs. Defined here
// rather than taken from <elf.h> because kernel and user builds are
// freestanding. Field layout follows the System V gABI (little endian).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace capos::elf {

// e_ident indexes and values.
constexpr size_t EI_NIDENT = 16;
constexpr size_t EI_MAG0 = 0, EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6, EI_OSABI = 7,
                 EI_ABIVERSION = 8;
constexpr uint8_t ELFMAG[4] = {0x7f, 'E', 'L', 'F'};
constexpr uint8_t ELFCLASS64 = 2;
constexpr uint8_t ELFDATA2LSB = 1;
constexpr uint8_t EV_CURRENT = 1;
constexpr uint8_t ELFOSABI_SYSV = 0;  // also "none"; the only OS ABI we accept

// e_type / e_machine.
constexpr uint16_t ET_REL = 1, ET_EXEC = 2, ET_DYN = 3, ET_CORE = 4;
constexpr uint16_t EM_X86_64 = 62;

// p_type.
constexpr uint32_t PT_NULL = 0;
constexpr uint32_t PT_LOAD = 1;
constexpr uint32_t PT_DYNAMIC = 2;
constexpr uint32_t PT_INTERP = 3;
constexpr uint32_t PT_NOTE = 4;
constexpr uint32_t PT_SHLIB = 5;
constexpr uint32_t PT_PHDR = 6;
constexpr uint32_t PT_TLS = 7;
constexpr uint32_t PT_GNU_EH_FRAME = 0x6474e550;
constexpr uint32_t PT_GNU_STACK = 0x6474e551;
constexpr uint32_t PT_GNU_RELRO = 0x6474e552;
constexpr uint32_t PT_GNU_PROPERTY = 0x6474e553;

// p_flags.
constexpr uint32_t PF_X = 1, PF_W = 2, PF_R = 4;
constexpr uint32_t PF_RWX = PF_R | PF_W | PF_X;

struct Elf64_Ehdr {
  uint8_t e_ident[EI_NIDENT];
  uint16_t e_type;
  uint16_t e_machine;
  uint32_t e_version;
  uint64_t e_entry;
  uint64_t e_phoff;
  uint64_t e_shoff;
  uint32_t e_flags;
  uint16_t e_ehsize;
  uint16_t e_phentsize;
  uint16_t e_phnum;
  uint16_t e_shentsize;
  uint16_t e_shnum;
  uint16_t e_shstrndx;
};

struct Elf64_Phdr {
  uint32_t p_type;
  uint32_t p_flags;
  uint64_t p_offset;
  uint64_t p_vaddr;
  uint64_t p_paddr;
  uint64_t p_filesz;
  uint64_t p_memsz;
  uint64_t p_align;
};

static_assert(sizeof(Elf64_Ehdr) == 64, "gABI Elf64_Ehdr is 64 bytes");
static_assert(sizeof(Elf64_Phdr) == 56, "gABI Elf64_Phdr is 56 bytes");
// Headers are memcpy'd straight out of the image; fine only on a little-endian machine.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "loader assumes a little-endian host");

}  // namespace capos::elf
