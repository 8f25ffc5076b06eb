// The only two system calls (SYSCALL instruction; ABI: docs/abi.md).
//   rax = number, rdi/rsi = arguments, result in rax.
//   cap_enter(min_complete, timeout_ns) -> available CQEs (>= 0) or CAP_ERR_*
//   exit(status) -> does not return
#pragma once

#include <stdint.h>

namespace capos::abi {

constexpr uint64_t SYS_CAP_ENTER = 0;
constexpr uint64_t SYS_EXIT = 1;

}  // namespace capos::abi
