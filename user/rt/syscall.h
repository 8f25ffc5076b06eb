// The two capOS system calls from userspace.
#pragma once

#include <stdint.h>

#include "lib/abi/syscall.h"

namespace capos::rt {

inline int64_t cap_enter(uint64_t min_complete, uint64_t timeout_ns) {
  int64_t ret;
  asm volatile("syscall"
               : "=a"(ret)
               : "a"(abi::SYS_CAP_ENTER), "D"(min_complete), "S"(timeout_ns)
               : "rcx", "r11", "memory");
  return ret;
}

[[noreturn]] inline void exit(int64_t status) {
  asm volatile("syscall" : : "a"(abi::SYS_EXIT), "D"(status) : "rcx", "r11", "memory");
  __builtin_unreachable();
}

}  // namespace capos::rt
