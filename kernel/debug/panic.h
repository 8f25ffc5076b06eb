// Kernel panic: one clear report on serial (message, registers for
// exceptions, symbolized frame-pointer backtrace), then QEMU exits with
// the failure status (debug_exit::FAILURE) or the CPU halts.
#pragma once

#include "lib/core/format.h"

namespace capos {

namespace arch {
struct InterruptFrame;
}

[[noreturn]] void panic_message(StrView msg);
[[noreturn]] void panic_exception(const arch::InterruptFrame& f);

template <class... Args> [[noreturn]] void panic(StrView fmt, const Args&... args) {
  char buf[256];
  panic_message(format_to(buf, sizeof(buf), fmt, args...));
}

// Prints "  #n 0x... name+0xoff" lines walking saved frame pointers.
void print_backtrace(uint64_t rip, uint64_t rbp);

#define KASSERT(cond)                                                     \
  do {                                                                    \
    if (!(cond)) ::capos::panic("assertion failed: {} at {}:{}", #cond, __FILE__, __LINE__); \
  } while (0)

}  // namespace capos
