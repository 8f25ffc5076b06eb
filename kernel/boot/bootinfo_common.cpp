// The portable half of BootInfo (no boot-window access): shared by the
// kernel and the host tests of the Multiboot2 parser.
#include "kernel/arch/x86_64/layout.h"
#include "kernel/boot/bootinfo.h"
#include "lib/core/cstring.h"
#include "lib/core/utility.h"

namespace capos {

void BootInfo::add_region(uint64_t base, uint64_t len, MemType type) {
  if (len == 0) return;
  // UEFI maps come fragmented by allocation (GRUB converts each EFI
  // descriptor); merging contiguous ranges of one type keeps them within
  // MAX_REGIONS.
  if (region_count > 0) {
    MemRegion& last = regions[region_count - 1];
    uint64_t end, merged;
    if (last.type == type && !add_overflow(last.base, last.length, &end) && end == base &&
        !add_overflow(last.length, len, &merged)) {
      last.length = merged;
      return;
    }
  }
  if (region_count == MAX_REGIONS) {
    regions_truncated = true;
    return;
  }
  regions[region_count++] = MemRegion{base, len, type};
}

const char* BootInfo::protocol_name() const {
  return protocol == BOOT_PROTO_PVH ? "PVH" : protocol == BOOT_PROTO_MULTIBOOT2 ? "Multiboot2" : "unknown";
}

const char* BootInfo::cmdline_value(const char* key, char* out, size_t cap) const {
  size_t klen = strlen(key);
  const char* p = cmdline;
  while (*p) {
    while (*p == ' ') ++p;
    const char* word = p;
    while (*p && *p != ' ') ++p;
    size_t wlen = static_cast<size_t>(p - word);
    if (wlen > klen && strncmp(word, key, klen) == 0 && word[klen] == '=') {
      size_t vlen = wlen - klen - 1;
      if (vlen >= cap) vlen = cap - 1;
      memcpy(out, word + klen + 1, vlen);
      out[vlen] = '\0';
      return out;
    }
  }
  return nullptr;
}

}  // namespace capos
