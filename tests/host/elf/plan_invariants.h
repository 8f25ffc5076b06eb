// Properties every accepted LoadPlan must have, whatever the input. Shared
// by the host tests and the libFuzzer target (which aborts on a violation).
#pragma once

#include "lib/elf/loader.h"

namespace capos::elf::test {

// Returns nullptr when all hold, else the first violated property.
inline const char* plan_violation(const LoadPlan& p, size_t image_size) {
  constexpr uint64_t page = abi::PAGE_SIZE;
  if (p.segment_count == 0 || p.segment_count > abi::USER_IMAGE_MAX_SEGMENTS) return "segment count";
  uint64_t total = 0, prev_end = 0;
  bool entry_ok = false;
  for (const Segment& s : p.segment_span()) {
    if (s.vaddr % page != 0 || s.mem_size % page != 0 || s.mem_size == 0) return "page rounding";
    if (s.page_offset >= page) return "page offset";
    if (s.page_offset + s.file_size > s.mem_size) return "file data exceeds mapping";
    if (s.file_offset > image_size || s.file_size > image_size - s.file_offset) return "file range";
    if (s.vaddr < abi::USER_IMAGE_MIN || s.vaddr + s.mem_size > abi::USER_IMAGE_MAX) return "window";
    if (s.vaddr < prev_end) return "order/overlap";
    if (s.writable() && s.executable()) return "W^X";
    if ((s.flags & ~PF_RWX) != 0 || (s.flags & PF_RWX) == 0) return "flags";
    const uint64_t lo = s.vaddr + s.page_offset;
    if (s.executable() && p.entry >= lo && p.entry < lo + s.file_size) entry_ok = true;
    prev_end = s.vaddr + s.mem_size;
    total += s.mem_size;
  }
  if (total != p.total_bytes || total > abi::USER_IMAGE_MAX_BYTES) return "total size";
  if (!entry_ok) return "entry";
  if (p.has_tls && p.tls.file_size > p.tls.mem_size) return "tls sizes";
  return nullptr;
}

}  // namespace capos::elf::test
