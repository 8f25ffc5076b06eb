// User address-space layout (ABI: docs/abi.md). Shared by the kernel, the
// userspace runtime, the ELF validator and host tests.
#pragma once

#include <stdint.h>

namespace capos::abi {

constexpr uint64_t PAGE_SIZE = 4096;

// Static, non-PIE program images load in [USER_IMAGE_MIN, USER_IMAGE_MAX).
constexpr uint64_t USER_IMAGE_MIN = 0x0000000000400000ull;  // 4 MiB: null and low pages stay unmapped
constexpr uint64_t USER_IMAGE_MAX = 0x0000000100000000ull;  // images live in the low 4 GiB
constexpr uint64_t USER_IMAGE_MAX_BYTES = 256ull << 20;     // total mapped image size
constexpr uint32_t USER_IMAGE_MAX_SEGMENTS = 16;

// Anonymous memory (VirtualMemory.map without a hint) is placed here.
constexpr uint64_t USER_HEAP_BASE = 0x0000100000000000ull;
constexpr uint64_t USER_HEAP_END = 0x0000600000000000ull;

// Fixed runtime pages near the top of the user half. The very top page is
// never mapped (keeps SYSRET away from the non-canonical boundary).
constexpr uint64_t USER_STACK_TOP = 0x00007FFFFF000000ull;
constexpr uint64_t USER_STACK_DEFAULT_PAGES = 16;   // 64 KiB
constexpr uint64_t USER_STACK_MAX_PAGES = 2048;     // 8 MiB
constexpr uint64_t RING_VADDR = 0x00007FFFFFFE0000ull;    // one page, read/write
constexpr uint64_t CAPSET_VADDR = 0x00007FFFFFFF0000ull;  // one page, read-only
constexpr uint64_t USER_TOP = 0x0000800000000000ull;      // first non-canonical address

}  // namespace capos::abi
