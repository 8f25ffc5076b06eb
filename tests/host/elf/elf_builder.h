// In-memory ELF image builder for the loader tests and the seed corpus.
// valid() yields a small image plan_load accepts; tests mutate one field to
// hit exactly one rule.
#pragma once

#include "lib/elf/elf64.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace capos::elf::test {

constexpr uint64_t kTextVaddr = 0x401000;
constexpr uint64_t kDataVaddr = 0x402000;

struct ImageBuilder {
  Elf64_Ehdr eh{};
  std::vector<Elf64_Phdr> ph;
  size_t file_size = 0x3000;
  int phnum_override = -1;        // e_phnum other than ph.size()
  size_t truncate_to = SIZE_MAX;  // cut the finished image

  static Elf64_Phdr load(uint64_t vaddr, uint64_t offset, uint64_t filesz, uint64_t memsz,
                         uint32_t flags, uint64_t align = 0x1000) {
    return Elf64_Phdr{PT_LOAD, flags, offset, vaddr, vaddr, filesz, memsz, align};
  }
  static Elf64_Phdr other(uint32_t type, uint32_t flags = PF_R, uint64_t offset = 0,
                          uint64_t vaddr = 0, uint64_t filesz = 0, uint64_t memsz = 0,
                          uint64_t align = 8) {
    return Elf64_Phdr{type, flags, offset, vaddr, vaddr, filesz, memsz, align};
  }

  // Text R-X (one page of code), data RW- with a two-page bss tail, and a
  // non-executable stack marker.
  static ImageBuilder valid() {
    ImageBuilder b;
    const uint8_t ident[EI_NIDENT] = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT,
                                      ELFOSABI_SYSV};
    std::memcpy(b.eh.e_ident, ident, sizeof ident);
    b.eh.e_type = ET_EXEC;
    b.eh.e_machine = EM_X86_64;
    b.eh.e_version = EV_CURRENT;
    b.eh.e_entry = kTextVaddr;
    b.eh.e_phoff = sizeof(Elf64_Ehdr);
    b.eh.e_ehsize = sizeof(Elf64_Ehdr);
    b.eh.e_phentsize = sizeof(Elf64_Phdr);
    b.ph.push_back(load(kTextVaddr, 0x1000, 0x100, 0x100, PF_R | PF_X));
    b.ph.push_back(load(kDataVaddr, 0x2000, 0x10, 0x2000, PF_R | PF_W));
    b.ph.push_back(other(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16));
    return b;
  }

  std::vector<uint8_t> build() const {
    Elf64_Ehdr h = eh;
    h.e_phnum = static_cast<uint16_t>(phnum_override >= 0 ? phnum_override : ph.size());
    size_t table_end = h.e_phoff + ph.size() * sizeof(Elf64_Phdr);
    std::vector<uint8_t> out(std::max(file_size, sizeof h), 0);
    std::memcpy(out.data(), &h, sizeof h);
    if (h.e_phoff < out.size() && table_end <= out.size())
      std::memcpy(out.data() + h.e_phoff, ph.data(), ph.size() * sizeof(Elf64_Phdr));
    // Recognisable "code": 0xCC (int3) in the text page.
    for (size_t i = 0x1000; i < 0x1100 && i < out.size(); ++i) out[i] = 0xCC;
    if (truncate_to < out.size()) out.resize(truncate_to);
    return out;
  }
};

}  // namespace capos::elf::test
