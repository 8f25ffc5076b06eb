// libFuzzer target for kernel/boot/multiboot2: arbitrary MBIs (the first
// word is patched to the input size half of the time, so the tag walk is
// reached). The parse must fail cleanly or leave a BootInfo within bounds.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kernel/boot/multiboot2.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::vector<uint8_t> m(data + 1, data + size);
  if ((data[0] & 1) && m.size() >= 4) {
    uint32_t total = static_cast<uint32_t>(m.size());
    memcpy(m.data(), &total, 4);
  }
  capos::BootInfo bi;
  capos::Status st = capos::parse_multiboot2(capos::Bytes(m.data(), m.size()), 0x10000, &bi);
  if (st) {
    bool ok = bi.region_count > 0 && bi.region_count <= capos::BootInfo::MAX_REGIONS &&
              strnlen(bi.cmdline, capos::BootInfo::CMDLINE_MAX) < capos::BootInfo::CMDLINE_MAX &&
              bi.info_size <= m.size() && (bi.rsdp_phys == 0 || bi.rsdp_phys - 0x10000 + 20 <= m.size());
    if (!ok) {
      fprintf(stderr, "multiboot2: accepted MBI left BootInfo out of bounds\n");
      abort();
    }
  }
  return 0;
}
