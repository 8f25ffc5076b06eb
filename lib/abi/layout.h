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
// Ring v2: every thread owns a ring page. Thread slot i (0 = the initial
// thread) has its ring at ring_vaddr(i); an unmapped guard page separates
// neighbours. Slots are reused only after their thread is gone.
constexpr uint32_t MAX_THREADS = 64;
constexpr uint64_t RING_STRIDE = 2 * PAGE_SIZE;
constexpr uint64_t ring_vaddr(uint32_t slot) { return RING_VADDR - uint64_t{slot} * RING_STRIDE; }
constexpr uint64_t RING_AREA_BASE = RING_VADDR - (MAX_THREADS - 1) * RING_STRIDE;
// The initial thread's TLS block and thread control block (TCB), built by
// the loader from PT_TLS at the top of the initial stack region (variant
// II: the block ends where the TCB starts; FS base = TCB; the TCB at
// align_down(USER_STACK_TOP - TCB_BYTES, max(align, 16)), the stack right
// below the block). Later threads' blocks are the runtime's.
constexpr uint64_t TLS_MAX_BYTES = 1ull << 20;  // PT_TLS memory size limit
constexpr uint64_t TCB_BYTES = 256;
constexpr uint64_t TCB_SELF = 0x00;     // the TCB's own address (%fs:0)
constexpr uint64_t TCB_CANARY = 0x28;   // stack-protector canary (%fs:0x28)
constexpr uint64_t TCB_RUNTIME = 0x30;  // first word the runtime owns
constexpr uint64_t CAPSET_VADDR = 0x00007FFFFFFF0000ull;  // one page, read-only
constexpr uint64_t USER_TOP = 0x0000800000000000ull;      // first non-canonical address

static_assert(RING_AREA_BASE > USER_STACK_TOP + PAGE_SIZE, "rings above the stack");

}  // namespace capos::abi
