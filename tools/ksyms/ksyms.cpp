// ksyms: extracts the function symbols of a kernel ELF into the compact,
// sorted table the kernel embeds for symbolized panic backtraces
// (kernel/debug/ksyms.h), with C++ names demangled at build time.
//   ksyms <kernel.elf> <out.bin>          write the table
//   ksyms --verify <stage1.elf> <final.elf>  check code did not move
#include <cxxabi.h>
#include <elf.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "kernel/debug/ksyms.h"

namespace {

struct Sym {
  uint64_t addr;
  uint64_t size;
  std::string name;  // demangled
  std::string raw;   // as linked (unique where demangled names collide)
  bool is_func;
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "ksyms: %s\n", msg.c_str());
  std::exit(1);
}

std::vector<char> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) die(std::string("cannot open ") + path);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

template <class T> const T* at(const std::vector<char>& f, uint64_t off, uint64_t count = 1) {
  if (off > f.size() || count * sizeof(T) > f.size() - off) die("truncated ELF");
  return reinterpret_cast<const T*>(f.data() + off);
}

std::vector<Sym> code_symbols(const char* path) {
  auto f = read_file(path);
  auto* eh = at<Elf64_Ehdr>(f, 0);
  if (std::memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64) die("not ELF64");
  auto* sh = at<Elf64_Shdr>(f, eh->e_shoff, eh->e_shnum);
  std::vector<Sym> out;
  for (int i = 0; i < eh->e_shnum; ++i) {
    if (sh[i].sh_type != SHT_SYMTAB) continue;
    const Elf64_Shdr& strsec = sh[sh[i].sh_link];
    auto* syms = at<Elf64_Sym>(f, sh[i].sh_offset, sh[i].sh_size / sizeof(Elf64_Sym));
    for (uint64_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); ++k) {
      const Elf64_Sym& s = syms[k];
      int type = ELF64_ST_TYPE(s.st_info);
      if (type != STT_FUNC && type != STT_NOTYPE) continue;
      if (s.st_shndx == SHN_UNDEF || s.st_shndx >= eh->e_shnum) continue;
      if (!(sh[s.st_shndx].sh_flags & SHF_EXECINSTR)) continue;
      if (s.st_name >= strsec.sh_size) continue;
      const char* raw = at<char>(f, strsec.sh_offset + s.st_name);
      std::string mangled(raw, strnlen(raw, strsec.sh_size - s.st_name));
      if (mangled.empty() || mangled[0] == '.' || mangled.rfind("$", 0) == 0) continue;  // local labels
      std::string name = mangled;
      int status = 0;
      char* dem = abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status);
      if (status == 0 && dem) name = dem;
      std::free(dem);
      out.push_back({s.st_value, s.st_size, name, mangled, type == STT_FUNC});
    }
  }
  std::sort(out.begin(), out.end(), [](const Sym& a, const Sym& b) {
    return a.addr != b.addr ? a.addr < b.addr : a.is_func > b.is_func;
  });
  // One symbol per address, preferring a sized function.
  out.erase(std::unique(out.begin(), out.end(), [](const Sym& a, const Sym& b) { return a.addr == b.addr; }),
            out.end());
  return out;
}

void write_table(const std::vector<Sym>& syms, const char* path) {
  using capos::ksyms::Entry;
  using capos::ksyms::Header;
  std::string strtab;
  std::vector<Entry> entries;
  for (const auto& s : syms) {
    entries.push_back(Entry{s.addr, static_cast<uint32_t>(std::min<uint64_t>(s.size, UINT32_MAX)),
                            static_cast<uint32_t>(strtab.size())});
    strtab += s.name;
    strtab.push_back('\0');
  }
  Header h{capos::ksyms::MAGIC, static_cast<uint32_t>(entries.size()),
           static_cast<uint32_t>(sizeof(Header) + entries.size() * sizeof(Entry)),
           static_cast<uint32_t>(strtab.size())};
  std::string tmp = std::string(path) + ".tmp";
  std::ofstream out(tmp, std::ios::binary);
  out.write(reinterpret_cast<const char*>(&h), sizeof(h));
  out.write(reinterpret_cast<const char*>(entries.data()), static_cast<std::streamsize>(entries.size() * sizeof(Entry)));
  out.write(strtab.data(), static_cast<std::streamsize>(strtab.size()));
  out.close();
  if (!out || std::rename(tmp.c_str(), path) != 0) die(std::string("cannot write ") + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--verify") == 0) {
    auto a = code_symbols(argv[2]);
    auto b = code_symbols(argv[3]);
    // Compare linked names: demangled ones collide (e.g. D0/D1 destructors).
    std::map<std::string, uint64_t> first;
    for (const auto& s : a) first[s.raw] = s.addr;
    for (const auto& s : b) {
      auto it = first.find(s.raw);
      if (it != first.end() && it->second != s.addr)
        die("symbol '" + s.name + "' moved between link passes; the table would be wrong");
    }
    return 0;
  }
  if (argc != 3) {
    std::fprintf(stderr, "usage: ksyms <kernel.elf> <out.bin> | ksyms --verify <a.elf> <b.elf>\n");
    return 2;
  }
  auto syms = code_symbols(argv[1]);
  if (syms.empty()) die("no code symbols found");
  write_table(syms, argv[2]);
  return 0;
}
