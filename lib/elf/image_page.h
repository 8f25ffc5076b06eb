// The bytes of one page of a loaded ELF segment: the segment's file bytes
// where they fall and zeros around them. The kernel writes these straight
// into a frame it did not clear (AddressSpace::map_image), so this function
// must write every byte of the page; tests/host/elf/image_page_test.cpp
// checks that against dirty pages.
#pragma once

#include "lib/abi/layout.h"
#include "lib/core/cstring.h"
#include "lib/core/span.h"
#include "lib/core/utility.h"

namespace capos::elf {

// Page `index` of a mapping whose file bytes start `offset` bytes into its
// first page. The caller checked that offset + file.size() fits the mapping.
inline void fill_image_page(uint8_t* page, uint64_t index, uint64_t offset, Bytes file) {
  constexpr uint64_t P = abi::PAGE_SIZE;
  uint64_t lo = index * P, hi = lo + P;
  uint64_t flo = max(lo, offset), fhi = min(hi, offset + uint64_t(file.size()));
  if (flo >= fhi) {  // no file byte on this page
    memset(page, 0, P);
    return;
  }
  memset(page, 0, flo - lo);
  memcpy(page + (flo - lo), file.data() + (flo - offset), fhi - flo);
  memset(page + (fhi - lo), 0, hi - fhi);
}

}  // namespace capos::elf
