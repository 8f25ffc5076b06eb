#include "kernel/debug/ksyms.h"

extern "C" char __ksyms_start[], __ksyms_end[];

namespace capos::ksyms {

namespace {

const Header* header() {
  auto* h = reinterpret_cast<const Header*>(__ksyms_start);
  uint64_t avail = static_cast<uint64_t>(__ksyms_end - __ksyms_start);
  if (avail < sizeof(Header) || h->magic != MAGIC) return nullptr;
  uint64_t entries_end = sizeof(Header) + uint64_t{h->count} * sizeof(Entry);
  if (entries_end > h->strtab_offset || uint64_t{h->strtab_offset} + h->strtab_size > avail) return nullptr;
  return h;
}

}  // namespace

uint32_t count() {
  const Header* h = header();
  return h ? h->count : 0;
}

bool lookup(uint64_t addr, StrView* name, uint64_t* offset) {
  const Header* h = header();
  if (!h || h->count == 0) return false;
  auto* entries = reinterpret_cast<const Entry*>(h + 1);
  // Last entry with entry.addr <= addr.
  uint32_t lo = 0, hi = h->count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (entries[mid].addr <= addr) lo = mid + 1; else hi = mid;
  }
  if (lo == 0) return false;
  const Entry& e = entries[lo - 1];
  if (e.size && addr >= e.addr + e.size) return false;
  if (e.name_offset >= h->strtab_size) return false;
  const char* strtab = reinterpret_cast<const char*>(h) + h->strtab_offset;
  *name = StrView(strtab + e.name_offset, strnlen(strtab + e.name_offset, h->strtab_size - e.name_offset));
  *offset = addr - e.addr;
  return true;
}

}  // namespace capos::ksyms
